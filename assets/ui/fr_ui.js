/* ecoqpv — French for the parts of Streamlit 1.67's interface that have no option (issue #15).
 *
 * Runs in the app's own document (st.html(..., unsafe_allow_javascript=True), app_pages/french.py), once
 * per browser tab:
 *   1. lang="fr" on the html element, kept so if anything sets it back;
 *   2. a MutationObserver that rewrites Streamlit's English texts and accessible names
 *      (text nodes; aria-label, title, placeholder, aria-placeholder, alt attributes) with the
 *      table below: exact strings, then a few patterns for strings with a variable part.
 * User content is left alone: nodes inside Markdown/HTML/table elements and the app's own
 * texts are skipped (see SKIP), so a quartier named "Search" stays "Search".
 * No less-than sign followed by a letter, '/' or '!' in this file: DOMPurify (st.html) drops a
 * script whose text has one, silently (fr_ui.py checks it).
 * Strings are Streamlit 1.67.0's (frontend bundle static/js/*.js); a Streamlit upgrade may
 * change some: the Playwright English scan (test_ui.py) is what tells.
 */
(function () {
  "use strict";
  if (window.__ecoqpvFr) { return; }
  window.__ecoqpvFr = true;

  var root = document.documentElement;
  function keepFrench() { if (root.getAttribute("lang") !== "fr") { root.setAttribute("lang", "fr"); } }
  keepFrench();
  new MutationObserver(keepFrench).observe(root, { attributes: true, attributeFilter: ["lang"] });

  var EXACT = {
    // App shell (index chunk)
    "Skip to main content": "Aller au contenu principal",
    "Main menu": "Menu principal",
    "Collapse sidebar": "Replier le panneau latéral",
    "Expand sidebar": "Déplier le panneau latéral",
    "Sidebar": "Panneau latéral",
    "App pages": "Pages de l'application",
    "View less": "Voir moins",
    "view less": "voir moins",
    "view more": "voir plus",
    "Navigate to home page": "Aller à la page d'accueil",
    "Running...": "Calcul en cours…",
    "Stopping...": "Arrêt en cours…",
    "Stop": "Arrêter",
    "Rerun": "Relancer",
    "Always rerun": "Toujours relancer",
    "Print": "Imprimer",
    "Settings": "Paramètres",
    "About": "À propos",
    "Theme": "Thème",
    "Light": "Clair",
    "Dark": "Sombre",
    "Use system setting": "Réglage du système",
    "Clear cache": "Vider le cache",
    "Clear caches": "Vider les caches",
    "Record a screencast": "Enregistrer l'écran",
    "Close": "Fermer",
    "Dismiss": "Fermer",
    "Loading": "Chargement",
    "Cancel": "Annuler",
    "Copy": "Copier",
    "Retry": "Réessayer",
    "Try again": "Réessayer",
    "Learn more": "En savoir plus",
    "Notifications": "Notifications",
    "Connecting": "Connexion…",
    "Connection error": "Erreur de connexion",
    "Connection timed out.": "La connexion a expiré.",
    "Please wait...": "Veuillez patienter…",
    "Page not found": "Page introuvable",
    "The page that you have requested does not seem to exist. Running the app's main page.":
      "La page demandée n'existe pas. Affichage de la page d'accueil.",
    "Script execution error": "Erreur d'exécution",
    // Uncaught error with client.showErrorDetails = "none" (exception chunk)
    "This app has encountered an error. The original error message is redacted to prevent data leaks. Full error details have been recorded in the logs (if you're on Streamlit Cloud, click on 'Manage app' in the lower right of your app).":
      "Une erreur inattendue a empêché d'afficher cette page. Son détail n'est pas montré ici (il peut contenir des informations du serveur) : il est enregistré dans le journal de l'application. Rechargez la page ; si l'erreur revient, signalez-la à l'exploitant de l'application.",
    "Unknown error": "Erreur inconnue",
    "Unknown Error": "Erreur inconnue",
    "Bad message format": "Message mal formé",
    "Streamlit server is not responding. Are you connected to the internet?":
      "Le serveur ne répond pas. Êtes-vous connecté au réseau ?",
    "(opens in new tab)": "(s'ouvre dans un nouvel onglet)",
    "Scroll tabs left": "Onglets précédents",
    "Scroll tabs right": "Onglets suivants",
    "Link to heading": "Lien vers ce titre",
    "Help": "Aide",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    // File uploader (FileUploader, UploadFileInfo, utils chunks)
    "Upload": "Choisir un fichier",
    "Upload directories": "Choisir des dossiers",
    "Add files": "Ajouter des fichiers",
    "file upload": "Choisir un fichier",
    "Drag and drop a file here": "Déposez un fichier ici",
    "Drag and drop files here": "Déposez des fichiers ici",
    "Drag and drop directories here": "Déposez des dossiers ici",
    "Upload failed": "Échec de l'envoi",
    "Too many files": "Trop de fichiers",
    "Download failed": "Échec du téléchargement",
    // Multiselect / selectbox (Multiselect, Selectbox, utils chunks)
    "Choose an option": "Choisir une option",
    "Choose options": "Choisir des options",
    "Add an option": "Ajouter une option",
    "Add options": "Ajouter des options",
    "Choose or add an option": "Choisir ou ajouter une option",
    "Choose or add options": "Choisir ou ajouter des options",
    "No options to select": "Aucune option",
    "No results": "Aucun résultat",
    "Clear all": "Tout effacer",
    "Clear value": "Effacer",
    "Select all": "Tout sélectionner",
    "Selected values": "Valeurs choisies",
    "Open": "Ouvrir la liste",
    // React Aria (combobox of multiselect/selectbox; Streamlit pins its locale to en-US)
    "Show suggestions": "Afficher les suggestions",
    "Suggestions": "Suggestions",
    // st.dataframe (DataFrame chunk: toolbar, search, column menu, empty states)
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Close Search": "Fermer la recherche",
    "Next Result": "Résultat suivant",
    "Previous Result": "Résultat précédent",
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Clear selection": "Effacer la sélection",
    "Dataframe column menu": "Menu de la colonne",
    "Sort ascending": "Trier par ordre croissant",
    "Sort descending": "Trier par ordre décroissant",
    "Format": "Format",
    "Autosize": "Largeur automatique",
    "Pin column": "Figer la colonne",
    "Unpin column": "Libérer la colonne",
    "Hide column": "Masquer la colonne",
    "Copy column name": "Copier le nom de la colonne",
    "Automatic": "Automatique",
    "Localized": "Selon la langue",
    "Plain": "Brut",
    "Percent": "Pourcentage",
    "Scientific": "Scientifique",
    "Accounting": "Comptable",
    "Compact": "Compact",
    "No data": "Aucune donnée",
    "Empty": "Vide",
    "Add row": "Ajouter une ligne",
    "Delete row(s)": "Supprimer les lignes",
    // Plotly modebar (the locale covers it when registered; kept as a fallback)
    "Download plot as a PNG": "Télécharger le graphique en PNG",
    "Download plot": "Télécharger le graphique",
    "Zoom in": "Zoom avant",
    "Zoom out": "Zoom arrière",
    "Reset axes": "Réinitialiser les axes",
    "Autoscale": "Échelle automatique",
    "Pan": "Déplacer",
    "Box Select": "Sélection rectangulaire",
    "Lasso Select": "Sélection lasso",
    "Produced with Plotly.js": "Produit avec Plotly.js"
  };

  var UNITS = { B: "o", byte: "o", bytes: "o", KB: "ko", MB: "Mo", GB: "Go", TB: "To", PB: "Po" };
  function size(number, unit) { return number.replace(".", ",") + "\u00a0" + (UNITS[unit] || unit); }
  function sizes(text) {
    return text.replace(/(\d+(?:\.\d+)?)\s?(bytes?|B|KB|MB|GB|TB|PB)\b/g, function (_, n, u) { return size(n, u); });
  }
  // Names Streamlit gives to Material icons ("NAME icon", DynamicIcon chunk) that our pages show.
  var ICONS = { add: "ajouter", upload: "fichier", close: "fermer", search: "rechercher", download: "télécharger",
    fullscreen: "plein écran", fullscreen_exit: "quitter le plein écran", delete: "supprimer", clear: "effacer",
    expand_more: "déplier", expand_less: "replier", chevron_right: "suivant", chevron_left: "précédent",
    help: "aide", info: "information", error: "erreur", warning: "avertissement", check_circle: "succès",
    visibility: "afficher", more_vert: "plus d'options", keyboard_double_arrow_left: "replier",
    keyboard_double_arrow_right: "déplier", menu: "menu" };
  var PATTERNS = [
    [/^([a-z0-9_]+) icon$/, function (m) { return "icône " + (ICONS[m[1]] || m[1].replace(/_/g, " ")); }],
    [/^Help for (.+)$/, function (m) { return "Aide : " + m[1]; }],
    [/^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB|TB|PB) per file$/, function (m) { return size(m[1], m[2]) + " par fichier"; }],
    [/^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB|TB|PB)$/, function (m) { return size(m[1], m[2]); }],
    [/^File is larger than (.+)$/, function (m) { return "Fichier trop volumineux (" + sizes(m[1]) + " au plus)"; }],
    [/^File must be (.+) or smaller\.$/, function (m) { return "Fichier trop volumineux : " + sizes(m[1]) + " au plus."; }],
    [/^File is smaller than (.+)$/, function (m) { return "Fichier trop petit (" + sizes(m[1]) + " au moins)"; }],
    [/^File type must be (?:one of )?(.+)\.?$/, function (m) { return "Type de fichier attendu : " + m[1]; }],
    [/^(.+) files are not allowed\.$/, function (m) { return "Fichiers " + m[1] + " refusés."; }],
    [/^Remove (.+)$/, function (m) { return "Retirer " + m[1]; }],
    [/^Cancel upload of (.+)$/, function (m) { return "Annuler l'envoi de " + m[1]; }],
    [/^Select (\d+) matches$/, function (m) { return "Sélectionner les " + m[1] + " résultats"; }],
    [/^Add: (.+)$/, function (m) { return "Ajouter : " + m[1]; }],
    [/^You can only select up to (\d+) options?\. Remove an option first\.$/,
      function (m) { return "Au plus " + m[1] + " choix : retirez-en un d'abord."; }],
    [/^(\d+) options? available\.$/, function (m) { return m[1] + (m[1] === "1" ? " option disponible." : " options disponibles."); }],
    [/^Entered group (.+), with (\d+) options?\. (.*)$/, function (m) { return "Groupe " + m[1] + " (" + m[2] + " options). " + m[3]; }],
    [/^(.+), selected$/, function (m) { return m[1] + ", sélectionné"; }],
    [/^View (\d+) more$/, function (m) { return "Voir " + m[1] + " de plus"; }],
    [/^(\d+) of (\d+)$/, function (m) { return m[1] + " sur " + m[2]; }],
    [/^(\d+) results?$/, function (m) { return m[1] + " résultat" + (m[1] === "1" ? "" : "s"); }],
    [/^You have requested page \/(.+), but no corresponding file was found in the app's pages\/ directory\. Running the app's main page\.$/,
      function (m) { return "La page /" + m[1] + " n'existe pas. Affichage de la page d'accueil."; }]
  ];

  // Longer texts are never Streamlit's own (the longest is the redacted-error sentence): not even looked up.
  var LONGEST = 0;
  for (var key in EXACT) { if (key.length > LONGEST) { LONGEST = key.length; } }
  LONGEST = Math.max(LONGEST, 200);

  function translate(text) {
    if (!text) { return null; }
    var trimmed = text.trim();
    if (!trimmed || trimmed.length > LONGEST) { return null; }
    var french = Object.prototype.hasOwnProperty.call(EXACT, trimmed) ? EXACT[trimmed] : null;
    for (var i = 0; french === null && i < PATTERNS.length; i++) {
      var match = PATTERNS[i][0].exec(trimmed);
      if (match) { french = PATTERNS[i][1](match); }
    }
    if (french === null || french === trimmed) { return null; }
    return text.replace(trimmed, french);
  }

  // User content: never translated (names of quartiers, our own Markdown and HTML, table cells).
  var SKIP = "[data-testid='stMarkdown'], [data-testid='stHeading'], [data-testid='stCaptionContainer'], " +
    "[data-testid='stWidgetLabel'], [data-testid='stAlert'], [data-testid='stHtml'], " +
    "[data-testid='stTable'], [data-testid='stCode'], script, style, textarea, input";
  // Where nothing is Streamlit's own (neither texts nor attributes): not even walked. The map and the table
  // of the Carte page add hundreds of elements as the page opens (issue #10).
  var OURS = "[data-testid='stHtml'], .ecoqpv-carte, .ecoqpv-tableau, script, style";
  var ATTRIBUTES = ["aria-label", "title", "placeholder", "aria-placeholder", "alt", "aria-roledescription", "data-title"];

  function skipped(element) {
    return !element || (element.closest && element.closest(SKIP + ", " + OURS) !== null);
  }

  function translateText(node) {
    if (skipped(node.parentElement)) { return; }
    var french = translate(node.nodeValue);
    if (french !== null) { node.nodeValue = french; }
  }

  function translateAttributes(element) {
    if (element.closest(OURS)) { return; }
    for (var i = 0; i < ATTRIBUTES.length; i++) {
      var value = element.getAttribute(ATTRIBUTES[i]);
      if (value === null) { continue; }
      // Labels that embed the app's own text (Help for LABEL) are Streamlit's: translate them.
      var french = translate(value);
      if (french !== null) { element.setAttribute(ATTRIBUTES[i], french); }
    }
  }

  function ours(node) {
    return node.nodeType === Node.ELEMENT_NODE && node.matches(OURS);
  }

  function translateTree(node) {
    if (node.nodeType === Node.TEXT_NODE) { translateText(node); return; }
    if (node.nodeType !== Node.ELEMENT_NODE || node.closest(OURS)) { return; }
    translateAttributes(node);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, function (n) {
      return ours(n) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
    });
    for (var current = walker.nextNode(); current; current = walker.nextNode()) {
      if (current.nodeType === Node.TEXT_NODE) { translateText(current); } else { translateAttributes(current); }
    }
  }

  function start() {
    translateTree(document.body);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var mutation = mutations[i];
        if (mutation.type === "characterData") { translateText(mutation.target); }
        else if (mutation.type === "attributes") { translateAttributes(mutation.target); }
        else { for (var j = 0; j < mutation.addedNodes.length; j++) { translateTree(mutation.addedNodes[j]); } }
      }
    }).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES
    });
  }
  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
  window.__ecoqpvTranslate = translate;  // for the tests
})();
