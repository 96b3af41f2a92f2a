"""Fail fast: hosts found down during an update, and the update's time budget.

An update is one *run* (``begin_run(budget)`` … ``end_run()``). During a run:

* **a host that keeps failing is down** for the rest of the run, and each of its remaining requests
  fails at once with the same French reason (no new connection, no new wait):

  - a refused connection, an unknown name (DNS), a connection that cannot be opened in time or a failed
    TLS handshake: down at the first failure (asking again in the same minute cannot help);
  - 5xx answers, resets and timeouts: the official host is down (behind a mirror: that host on that
    mirror) once the retries are spent; a mirror failing so for two official hosts is down as a whole;
  - 429 asking to wait longer than the time left (or than ``settings.HTTP_RETRY_AFTER_MAX``): down at once.

  When two different hosts cannot even be connected to and no host has answered yet, the machine is
  taken as **offline**: every further request fails at once with « pas de connexion aux sites
  officiels ».
* **the time budget** (``--delai-max``, ``settings.UPDATE_BUDGET_S``) bounds every wait: connection and
  read timeouts are cut to the time left, a retry whose pause does not fit is not made, a download
  stops when the time is up; ``BudgetExceededError`` then says so in French.

The run lives in a ``ContextVar``: two updates started by two sessions of the app (two threads) never
share their hosts or their deadline. Outside an update, one process-wide run without a deadline keeps
the down hosts until ``forget()`` (``http.forget_unreachable``/``http.reset``).
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.errors import SourceUnavailableError

#: Kinds of failure that put a host down, with the French words of the reason (``{host}`` is filled
#: with the host of the request that is refused, so that each message names its own site).
REASONS = {
    "connexion": "connexion impossible au serveur {host} (hors ligne, adresse inconnue ou pare-feu/proxy)",
    "tls": "échec de la connexion sécurisée (TLS) avec {host}",
    "coupure": "le serveur {host} coupe la connexion à chaque tentative",
    "delai": "le serveur {host} ne répond pas dans les délais (à chaque tentative)",
    "serveur": "le serveur {host} répond en erreur ({detail}) à chaque tentative",
    "trop_de_requetes": "le serveur {host} demande d'attendre {detail} avant de nouvelles requêtes (erreur 429), "
                        "plus que ce que la mise à jour peut attendre",
    "miroir": "le miroir {address} est en échec pour plusieurs sites ({detail})",
    "hors_ligne": "pas de connexion aux sites officiels ({detail} injoignables) : cet ordinateur semble hors ligne",
}
#: Kinds that concern a whole address (every official host behind it), not one official host.
_WHOLE_ADDRESS = {"connexion", "tls", "miroir", "hors_ligne"}
#: Kinds that, seen for two official hosts behind the same mirror, put the whole mirror down.
_MIRROR_WIDE = {"serveur", "coupure", "delai"}
_EARLIER = " ; constaté plus tôt pendant cette mise à jour : ce site n'est plus interrogé."
_OFFLINE = " ; la mise à jour ne tente plus aucun site."


class BudgetExceededError(SourceUnavailableError):
    """The update's time budget is spent: the source stops here (the previous good copy is kept)."""


class HostDownError(SourceUnavailableError):
    """A request to a host already found down in this update: refused at once, without a new attempt."""


@dataclass
class Run:
    """Hosts found down and the deadline of one update."""

    budget: float | None = None
    deadline: float | None = None
    #: (address, official host or "") → (kind, detail)
    down: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    #: Requests really sent in this run (every attempt, retries included).
    sent: int = 0
    unreachable: set[str] = field(default_factory=set)
    offline: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_DEFAULT = Run()
_CURRENT: contextvars.ContextVar[Run | None] = contextvars.ContextVar("ecoqpv_http_run", default=None)


def current() -> Run:
    """The run of this update (this thread's), or the process-wide one outside an update."""
    return _CURRENT.get() or _DEFAULT


def begin_run(budget: float | None) -> Run:
    """A new update starts: no host down, deadline ``budget`` seconds from now (None or 0: no limit)."""
    run = Run(budget=budget if budget else None)
    if run.budget:
        run.deadline = time.monotonic() + run.budget
    _CURRENT.set(run)
    return run


def end_run() -> None:
    """The update is over: later requests of this thread are no longer bound by its deadline."""
    _CURRENT.set(None)


def forget() -> None:
    """Give every host a new chance (the network may be back) in the current run."""
    run = current()
    with run.lock:
        run.down.clear()
        run.answered.clear()
        run.unreachable.clear()
        run.offline = False


# ---------------------------------------------------------------------------------------------------
# Hosts
# ---------------------------------------------------------------------------------------------------


def _keys(url: str, official: str) -> tuple[tuple[str, str], tuple[str, str]]:
    netloc = urlsplit(url).netloc
    return (netloc, ""), (netloc, official)


def reason(kind: str, detail: str, host: str, address: str = "") -> str:
    """The French reason of a host found down, for the host of a given request (``address``: the address
    actually asked, a mirror's ``host:port``)."""
    return REASONS[kind].format(host=host, detail=detail, address=address or host)


def down_reason(url: str, official: str, host: str) -> str | None:
    """Why ``url`` must not be requested again in this run (None: it may be requested)."""
    run = current()
    with run.lock:
        if run.offline:
            return reason("hors_ligne", ", ".join(sorted(run.unreachable)), host)
        whole, one = _keys(url, official)
        found = run.down.get(whole) or run.down.get(one)
    return reason(found[0], found[1], host, whole[0]) if found else None


def refuse_if_down(url: str, official: str, host: str, source: str) -> None:
    """``HostDownError`` for ``source`` when ``url``'s host was found down earlier in this run."""
    why = down_reason(url, official, host)
    if why is not None:
        raise HostDownError(source, why + (_OFFLINE if current().offline else _EARLIER))


def sent() -> None:
    """One more request leaves (an attempt, retries included)."""
    run = current()
    with run.lock:
        run.sent += 1


def requests_sent() -> int:
    """Requests really sent in this run (every attempt), for reports."""
    return current().sent


def answered(url: str) -> None:
    """The address of ``url`` answered (whatever the status): the machine is online."""
    run = current()
    with run.lock:
        run.answered.add(urlsplit(url).netloc)


def mark_down(url: str, official: str, kind: str, detail: str = "") -> None:
    """The host of ``url`` is down for the rest of the run (``kind``: a key of ``REASONS``)."""
    run = current()
    whole, one = _keys(url, official)
    with run.lock:
        run.down[whole if kind in _WHOLE_ADDRESS else one] = (kind, detail)
        if kind == "connexion":
            run.unreachable.add(whole[0])
            if len(run.unreachable) >= 2 and not run.answered:
                run.offline = True
        if kind in _MIRROR_WIDE and official and official != whole[0].rsplit(":", 1)[0]:
            # A mirror failing for two different official hosts is broken as a whole.
            failing = sorted(o for (n, o), (k, _) in run.down.items() if n == whole[0] and o and k in _MIRROR_WIDE)
            if len(failing) >= 2:
                run.down[whole] = ("miroir", ", ".join(failing))


def is_offline() -> bool:
    return current().offline


# ---------------------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------------------


def remaining() -> float | None:
    """Seconds left in this run's budget (None: no limit)."""
    run = current()
    if run.deadline is None:
        return None
    return run.deadline - time.monotonic()


def exhausted() -> bool:
    left = remaining()
    return left is not None and left <= 0


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def budget_error(source: str, what: str = "") -> BudgetExceededError:
    budget = current().budget or 0
    return BudgetExceededError(
        source, f"délai maximal de la mise à jour atteint ({_seconds(round(budget, 1))} s){what} ; la copie "
                "précédente est gardée. Pour une connexion lente, augmentez-le avec --delai-max ou la variable "
                "ECOQPV_UPDATE_BUDGET_S.")


def check(source: str, what: str = "") -> None:
    """``BudgetExceededError`` for ``source`` when the time is up."""
    if exhausted():
        raise budget_error(source, what)


def timeouts(connect: float, read: float, source: str) -> tuple[float, float]:
    """Connection and read timeouts cut to the time left (``BudgetExceededError`` when none is left)."""
    left = remaining()
    if left is None:
        return connect, read
    if left <= 0:
        raise budget_error(source)
    return min(connect, left), min(read, left)


def fits(seconds: float) -> bool:
    """A pause of ``seconds`` ends before the deadline."""
    left = remaining()
    return left is None or seconds < left


def pause(seconds: float, source: str) -> None:
    """Wait before a retry; a pause that would end after the deadline is not made."""
    if seconds <= 0:
        return
    if not fits(seconds):
        raise budget_error(source, " avant une nouvelle tentative")
    time.sleep(seconds)
