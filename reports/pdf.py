"""PDF of the annex: the Word document converted by LibreOffice in headless mode.

Why a conversion rather than a second renderer: the PDF is then the very document partners will
sign in Word (same headings, tables, captions and page breaks), there is one layout to maintain and
review, and Word's styles become PDF bookmarks. The cost is a Debian package on the machine that
makes the PDF (``libreoffice-writer-nogui``) and a few seconds per conversion. Each conversion
uses its own temporary LibreOffice profile, so two conversions never fight over a profile lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from core.errors import EcoqpvError

#: A large annex (Aix-Marseille-Provence, 125 QPV) converts in well under a minute on 2 cores.
TIMEOUT_S = 600
INSTALL_HINT = ("installer LibreOffice (Debian : « apt-get install libreoffice-writer-nogui »), ou exporter "
                "en DOCX puis enregistrer en PDF depuis Word ou LibreOffice")


class ConversionError(EcoqpvError):
    """The PDF could not be produced (LibreOffice missing, failed or too slow)."""


def soffice() -> str | None:
    """Path of LibreOffice's command-line program, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


def docx_to_pdf(docx_bytes: bytes, timeout: float = TIMEOUT_S) -> bytes:
    program = soffice()
    if program is None:
        raise ConversionError(f"Conversion en PDF impossible : LibreOffice est introuvable sur cette machine ; "
                              f"{INSTALL_HINT}.")
    with tempfile.TemporaryDirectory(prefix="ecoqpv-pdf-") as folder:
        work = Path(folder)
        source = work / "annexe.docx"
        source.write_bytes(docx_bytes)
        profile = work / "profil-libreoffice"
        command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(work), str(source)]
        env = {**os.environ, "HOME": str(work)}
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"Conversion en PDF interrompue : LibreOffice n'a pas terminé en "
                                  f"{int(timeout)} secondes.") from exc
        except OSError as exc:
            raise ConversionError(f"Conversion en PDF impossible : LibreOffice n'a pas pu démarrer ({exc}).") from exc
        target = work / "annexe.pdf"
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            detail = (done.stderr or done.stdout or b"").decode("utf-8", "replace").strip().splitlines()
            hint = f" Message : {detail[-1]}" if detail else ""
            raise ConversionError(f"Conversion en PDF échouée (LibreOffice, code {done.returncode}).{hint}")
        return target.read_bytes()


def render(annex) -> bytes:
    """The annex as PDF bytes (through its DOCX)."""
    from reports import docx

    return docx_to_pdf(docx.render(annex))
