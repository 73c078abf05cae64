"""PDF rendering with WeasyPrint — the one importer of weasyprint (docs/ARCHITECTURE.md): ready HTML (from
chanjiao.reporting.html) in, archival PDF/A-3b out, safely.

Templates never reach outside ``report_templates/`` either: every URL a report
loads goes through :class:`TemplateAssetFetcher`, which serves files under that folder and refuses
everything else (network, ``data:``, the rest of the disk) without any I/O. A missing Chinese font is
a machine problem raised before anything is written, because WeasyPrint would otherwise silently
draw blank boxes.

Notes on WeasyPrint 70 that shaped this module:

* ``Attachment`` has no MIME-type argument: it takes the type from the fetch response or guesses it
  from the file name. We serve the bytes through a one-off fetcher that answers with the type we
  were given.
* For PDF/A-3 it writes each file's ``/AFRelationship`` from ``Attachment(relationship=...)``, but
  lists every embedded file twice in the catalog's ``/AF`` array; a finisher removes the duplicates.
* Title, authors and language come from ``<title>``, ``<meta name="author">`` and ``<html lang>``;
  we overwrite them on ``Document.metadata`` so a template cannot forget them. The XMP packet gets
  ``dc:title`` and ``dc:creator``; the language goes to the catalog's ``/Lang`` only.
* ``<link rel="attachment">`` and ``<a rel="attachment">`` embed files through the same fetcher;
  we drop both so that the only embedded files are the ones a job names.
* ``pdf_tags=True`` works together with ``pdf/a-3b`` (the variant leaves tagging to the caller).
* Metadata ``lang`` only reaches ``/Lang``; shaping follows ``<html lang>``. Without it Pango falls
  back to the Japanese cut of Noto CJK, so an HTML without ``lang`` gets the job's language.
"""

from __future__ import annotations

import logging
import mimetypes
import multiprocessing
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import cffi

with warnings.catch_warnings():
    # With no fonts at all WeasyPrint warns at import; require_cjk_font says the same, with the fix.
    warnings.filterwarnings("ignore", message="No fonts configured", category=UserWarning)
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from chanjiao import __version__
from chanjiao.common.errors import ChanjiaoError, ConfigurationError
from chanjiao.common.fileio import link_atomic, write_atomic
from chanjiao.reporting.html import (  # noqa: F401  (re-exported: the render stage's vocabulary)
    AF_RELATIONSHIPS,
    TEMPLATES_DIR,
    Attachment,
    PdfJob,
    RenderedPdf,
    RenderResult,
    ReportError,
    _rebuild_report_error,
    environment,
    render_html,
)

logger = logging.getLogger(__name__)


PDF_VARIANT = "pdf/a-3b"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC")
TEMPLATES_BASE_URL = TEMPLATES_DIR.as_uri() + "/"
_MAX_LOGGED_URL = 300

# One FontConfiguration (one Pango font map) is shared by every render in a process; Pango's font
# map is not safe to use from two threads at once, and Prefect runs tasks in threads.
_RENDER_LOCK = threading.Lock()
_STATE_LOCK = threading.Lock()
_font_config: FontConfiguration | None = None
_cjk_font_found: dict[tuple[str, ...], str] = {}
_slow_subsetting_warned = False


def _short(url: str) -> str:
    return url if len(url) <= _MAX_LOGGED_URL else url[:_MAX_LOGGED_URL] + "…"


def _under(root: str, path: str) -> bool:
    return os.path.commonpath((root, path)) == root


class TemplateAssetFetcher(URLFetcher):
    """Serves ``file:`` URLs under ``root`` (after resolving ``..`` and symlinks); refuses the rest.

    A refused URL raises ``ValueError`` before any I/O (a path that is outside ``root`` even before
    symlinks are resolved is refused without touching the disk); WeasyPrint catches the error, logs
    it and renders on without that resource. Allowed files are opened here, from their resolved
    path, so nothing re-resolves the URL between the check and the read, and urllib (with its
    handlers for http, ftp, data and redirects) is never involved.
    """

    def __init__(self, root: Path | str = TEMPLATES_DIR, **kwargs) -> None:
        kwargs.update(allow_redirects=False, allowed_protocols=("file",))
        super().__init__(**kwargs)
        self.root = os.path.realpath(root)
        self._roots = {self.root, os.path.normpath(os.path.abspath(root))}
        self.refused: list[str] = []
        self.fetched: list[str] = []

    def allowed_path(self, url: str) -> str | None:
        """The resolved local path ``url`` names, or ``None`` if it may not be read."""
        try:
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                return None
            path = os.path.normpath(url2pathname(parts.path))
            if not os.path.isabs(path) or not any(_under(root, path) for root in self._roots):
                return None
            path = os.path.realpath(path)  # a symlink under root may still point outside it
        except (ValueError, OSError):  # malformed URL, embedded NUL, …
            return None
        return path if _under(self.root, path) else None

    def refuse(self, url: str, why: str) -> None:
        """Record and log a URL the report asked for and did not get."""
        self.refused.append(url)
        logger.warning("refused to load %s: %s", _short(url), why)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = self.allowed_path(url)
        if path is None:
            self.refuse(url, f"reports may only load files under {self.root}")
            raise ValueError(f"refused (not a file under {self.root}): {_short(url)}")
        mime_type = mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"
        handle = open(path, "rb")  # WeasyPrint closes the response (and so the file) after reading
        self.fetched.append(url)
        return URLFetcherResponse(Path(path).as_uri(), handle, {"Content-Type": mime_type})


class _InlineBytes(URLFetcher):
    """Serves one attachment's bytes with its declared MIME type (WeasyPrint has no mime argument)."""

    def __init__(self, data: bytes, mime_type: str) -> None:
        super().__init__(allowed_protocols=())
        self._data = data
        self._mime_type = mime_type

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        return URLFetcherResponse(url, self._data, {"Content-Type": self._mime_type})


# ---------------------------------------------------------------------------------------------
# Fonts: the machine must have a Chinese font, and should subset with HarfBuzz

_FONTCONFIG_CDEF = """
    typedef int FcBool;
    typedef unsigned char FcChar8;
    typedef struct _FcConfig FcConfig;
    typedef struct _FcPattern FcPattern;
    typedef struct _FcObjectSet FcObjectSet;
    typedef struct _FcFontSet { int nfont; int sfont; FcPattern **fonts; } FcFontSet;
    typedef enum { FcResultMatch, FcResultNoMatch, FcResultTypeMismatch, FcResultNoId,
                   FcResultOutOfMemory } FcResult;
    FcConfig *FcInitLoadConfigAndFonts(void);
    void FcConfigDestroy(FcConfig *config);
    FcPattern *FcNameParse(const FcChar8 *name);
    void FcPatternDestroy(FcPattern *p);
    FcObjectSet *FcObjectSetCreate(void);
    FcBool FcObjectSetAdd(FcObjectSet *os, const char *object);
    void FcObjectSetDestroy(FcObjectSet *os);
    FcFontSet *FcFontList(FcConfig *config, FcPattern *p, FcObjectSet *os);
    void FcFontSetDestroy(FcFontSet *s);
    FcResult FcPatternGetString(const FcPattern *p, const char *object, int n, FcChar8 **s);
"""
# The names WeasyPrint tries (weasyprint/text/ffi.py), so we load the very library it uses.
_FONTCONFIG_NAMES = (
    "libfontconfig-1",
    "fontconfig-1",
    "fontconfig",
    "libfontconfig.so.1",
    "libfontconfig.1.dylib",
    "libfontconfig-1.dll",
)


def _chinese_font_families() -> set[str]:
    """Families fontconfig lists for ``:lang=zh-cn`` — what ``fc-list ':lang=zh-cn' family`` prints.

    WeasyPrint's own cffi bindings lack FcFontList/FcNameParse, so we bind those few functions of
    the same libfontconfig. Like WeasyPrint we load a fresh config (FcInitLoadConfigAndFonts), so
    FONTCONFIG_FILE and the user's font folders count exactly as they will when rendering, and the
    fc-list binary (a separate package from the library) is not needed.
    """
    ffi = cffi.FFI()
    ffi.cdef(_FONTCONFIG_CDEF)
    library = None
    for name in _FONTCONFIG_NAMES:
        try:
            library = ffi.dlopen(name)
            break
        except OSError:
            continue
    if library is None:
        raise ConfigurationError(
            "cannot load libfontconfig to look for a Chinese (CJK) font; "
            "install it: apt-get install libfontconfig1 (or `make setup`)"
        )
    config = library.FcInitLoadConfigAndFonts()
    if config == ffi.NULL:
        raise ConfigurationError(
            "fontconfig could not load its configuration; cannot tell whether a Chinese (CJK) font is installed"
        )
    pattern = library.FcNameParse(b":lang=zh-cn")
    objects = library.FcObjectSetCreate()
    library.FcObjectSetAdd(objects, b"family")
    font_set = library.FcFontList(config, pattern, objects)
    families: set[str] = set()
    try:
        if font_set != ffi.NULL:
            value = ffi.new("FcChar8 **")
            for i in range(font_set.nfont):
                n = 0
                while library.FcPatternGetString(font_set.fonts[i], b"family", n, value) == library.FcResultMatch:
                    families.add(ffi.string(value[0]).decode("utf-8", "replace"))
                    n += 1
    finally:
        if font_set != ffi.NULL:
            library.FcFontSetDestroy(font_set)
        library.FcObjectSetDestroy(objects)
        library.FcPatternDestroy(pattern)
        library.FcConfigDestroy(config)
    return families


def require_cjk_font(families: Sequence[str] = CJK_FAMILIES) -> str:
    """The installed family (one of ``families``) that covers Chinese; raise if there is none.

    Without it WeasyPrint writes a valid-looking PDF of empty boxes, which nobody notices until a
    consortium does. The positive answer is cached per process.
    """
    key = tuple(families)
    with _STATE_LOCK:
        if key in _cjk_font_found:
            return _cjk_font_found[key]
    installed = _chinese_font_families()
    found = next((family for family in families if family in installed), None)
    if found is None:
        others = ", ".join(sorted(installed)[:5]) or "none"
        raise ConfigurationError(
            f"no Chinese (CJK) font found (looked for {', '.join(families)}; fonts covering zh-cn: "
            f"{others}); reports would print blank boxes. install it: apt-get install "
            "fonts-noto-cjk (or `make setup`)"
        )
    with _STATE_LOCK:
        _cjk_font_found[key] = found
    logger.debug("Chinese font for PDFs: %s", found)
    return found


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz (fast) rather than fontTools (slow).

    Mirrors ``weasyprint.pdf.fonts.Font.subset``: libharfbuzz-subset loaded and HarfBuzz >= 4.1.0.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def warn_if_slow_subsetting() -> None:
    """Log once per process if PDF writing will fall back to fontTools subsetting."""
    global _slow_subsetting_warned
    with _STATE_LOCK:
        if _slow_subsetting_warned:
            return
        _slow_subsetting_warned = True
    if not harfbuzz_subset_available():
        # Measured here with Noto CJK: 1 page 0.1 s -> 5.5 s, 5 pages 0.65 s -> 8 s.
        logger.warning(
            "fonts will be subset with fontTools: install libharfbuzz-subset0: PDF writing is ~10-50× slower without it"
        )


def font_configuration() -> FontConfiguration:
    """The process's one FontConfiguration: loading fontconfig and the CJK fonts once, not per PDF."""
    global _font_config
    with _STATE_LOCK:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


# ---------------------------------------------------------------------------------------------
# Jobs and rendering


def _w3c_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _set_metadata(document, job: PdfJob) -> None:
    """Metadata from the job, whatever the template's <title>/<meta>/<html lang> said.

    Title, author and language are required by the archive, so a template cannot drop them.
    """
    metadata = document.metadata
    metadata.title = job.title
    metadata.authors = [job.author]
    metadata.lang = job.lang
    metadata.generator = metadata.generator or f"chanjiao {__version__}"
    now = _w3c_now()
    metadata.created = metadata.created or now
    metadata.modified = metadata.modified or now


def _drop_markup_attachments(html, document, fetcher: TemplateAssetFetcher) -> None:
    """Only a job's own attachments are embedded: drop <link rel=attachment> and <a rel=attachment>.

    WeasyPrint fetches these only when writing the PDF, so dropping them here means no I/O at all;
    they are still listed in ``fetcher.refused`` like any other blocked URL.
    """
    for element in html.etree_element.iter("link"):
        if "attachment" in element.get("rel", "").lower().split() and element.get("href"):
            fetcher.refuse(
                urljoin(html.base_url, element.get("href").strip()), "reports embed only the job's attachments"
            )
    document.metadata.attachments = []
    for page in document.pages:
        for link_type, target, _, _ in page.links:
            if link_type == "attachment":
                fetcher.refuse(target, "reports embed only the job's attachments")
        page.links = [link for link in page.links if link[0] != "attachment"]


def _weasy_attachments(job: PdfJob) -> list[weasyprint.Attachment]:
    now = datetime.now(UTC).replace(tzinfo=None)  # WeasyPrint writes it with a "Z"
    return [
        weasyprint.Attachment(
            url=f"chanjiao-attachment:{a.name}",
            url_fetcher=_InlineBytes(a.data, a.mime_type),
            name=a.name,
            description=a.description,
            relationship=a.relationship,
            created=now,
            modified=now,
        )
        for a in job.attachments
    ]


def _dedupe_associated_files(document, pdf) -> None:
    """WeasyPrint 70 lists each embedded file twice in the catalog's /AF array; keep one of each."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def render_pdf_bytes(job: PdfJob) -> RenderedPdf:
    """Render ``job`` to PDF/A-3b bytes in memory; nothing is written (a Dask worker's part: the flow's
    machine writes them, see :func:`write_rendered`).

    Raises ConfigurationError if no Chinese font is installed, and ReportError (``file`` = the target) if
    rendering fails.
    """
    require_cjk_font()
    warn_if_slow_subsetting()
    started = time.perf_counter()
    fetcher = TemplateAssetFetcher()
    try:
        with _RENDER_LOCK:
            html = weasyprint.HTML(string=job.html, base_url=TEMPLATES_BASE_URL, url_fetcher=fetcher)
            # Pango picks fallback glyphs by language: without one, 第/页 come out in the JP cut.
            html.etree_element.attrib.setdefault("lang", job.lang)
            options = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
            document = html.render(font_config=font_configuration(), **options)
            _set_metadata(document, job)
            _drop_markup_attachments(html, document, fetcher)
            pdf = document.write_pdf(finisher=_dedupe_associated_files, attachments=_weasy_attachments(job), **options)
    except ChanjiaoError:
        raise
    except Exception as exc:
        raise ReportError(f"PDF not written ({type(exc).__name__}: {exc})", file=str(job.target)) from exc
    return RenderedPdf(job.target, pdf, len(document.pages), time.perf_counter() - started, tuple(fetcher.refused))


def write_rendered(job: PdfJob, rendered: RenderedPdf, rendered_by: str = "") -> RenderResult:
    """Write a rendered PDF at ``job.target`` (and its ``copies``, and the job's HTML beside it if
    ``keep_html``), each atomically; then check that the PDF on disk has the rendered size. The paths are the
    job's — never ones that came back with the bytes.

    Raises ReportError (``file`` = the target) when the PDF is not on disk whole; an OSError of the file
    system (a network share that stopped answering) is raised as it is, for the caller's retries.
    """
    if Path(rendered.target) != job.target:
        raise ReportError(f"rendered bytes are for {rendered.target}, not this job", file=str(job.target))
    write_atomic(job.target, rendered.pdf)
    for copy in job.copies:
        link_atomic(job.target, copy)
    if job.keep_html:
        write_atomic(job.html_target, job.html.encode("utf-8"))
    result = RenderResult(
        job.target, rendered.pages, rendered.seconds, rendered.refused, size=len(rendered.pdf), rendered_by=rendered_by
    )
    problem = not_on_disk(result, copies=job.copies)
    if problem:
        raise ReportError(f"PDF not written ({problem})", file=str(job.target))
    return result


def not_on_disk(result: RenderResult, copies: Iterable[Path] = ()) -> str | None:
    """Why ``result``'s PDF (or one of its ``copies``) is not on this machine's disk as rendered — missing or
    of another size — or None when it is. Only what is there is published."""
    for path in (result.target, *copies):
        try:
            size = Path(path).stat().st_size
        except FileNotFoundError:
            return f"{path} is missing"
        if result.size is not None and size != result.size:
            return f"{path} has {size} bytes, {result.size} were rendered"
    return None


def render_pdf(job: PdfJob) -> RenderResult:
    """Render ``job`` to a PDF/A-3b file (and its HTML beside it if ``keep_html``), atomically.

    Raises ConfigurationError before writing anything if no Chinese font is installed, and
    ReportError (``file`` = the target) if rendering or writing fails.
    """
    rendered = render_pdf_bytes(job)
    try:
        result = write_rendered(job, rendered)
    except ChanjiaoError:
        raise
    except Exception as exc:
        raise ReportError(f"PDF not written ({type(exc).__name__}: {exc})", file=str(job.target)) from exc
    logger.info("wrote %s (%d pages, %.2f s)", job.target, result.pages, result.seconds)
    return result


def render_in_memory(jobs: Iterable[PdfJob], failures: list[ReportError] | None = None) -> list[RenderedPdf]:
    """Render ``jobs`` one after the other in this process, to bytes (a Dask worker's batch: workers are
    daemonic and cannot start a pool; the cluster's workers are the parallelism).

    With a ``failures`` list a job that fails is added to it and the others go on; without one the first
    failure raises. A missing Chinese font always raises (ConfigurationError): no job could succeed.
    """
    rendered = []
    for job in jobs:
        try:
            rendered.append(render_pdf_bytes(job))
        except ConfigurationError:
            raise
        except Exception as exc:
            error = _as_report_error(exc, job)
            if failures is None:
                if error is exc:
                    raise
                raise error from exc
            logger.error("%s", error)
            failures.append(error)
    return rendered


# ---------------------------------------------------------------------------------------------
# Many jobs: one process per core


def _init_worker() -> None:
    """Pay for fontconfig and the CJK fonts once per worker, not once per report."""
    font_configuration()
    require_cjk_font()
    warn_if_slow_subsetting()


def _machine_workers() -> int:
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # the cores this process may use, not the whole machine
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _start_method() -> str:
    # fork in a threaded parent (Prefect runs tasks in threads) can copy a lock some other thread
    # holds; forkserver forks from a clean single-threaded server, spawn starts afresh.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _as_report_error(exc: BaseException, job: PdfJob) -> ReportError:
    """``exc`` itself if it already names the job's target, else a ReportError that does."""
    if isinstance(exc, ReportError) and exc.file == str(job.target):
        return exc
    reason = exc.reason if isinstance(exc, ChanjiaoError) else f"{type(exc).__name__}: {exc}"
    return ReportError(f"PDF not written ({reason})", file=str(job.target))


def render_batch(
    jobs: Iterable[PdfJob],
    workers: int | None = None,
    on_result: Callable[[RenderResult], None] | None = None,
    failures: list[ReportError] | None = None,
) -> list[RenderResult]:
    """Render ``jobs`` in parallel worker processes; results in job order.

    ``on_result`` is called in this process as each PDF is written (in completion order): progress.
    With a ``failures`` list, a job that fails is added to it (a ReportError naming its target) and the
    others go on, so what was written can be published; without one, the first failure raises.

    ``workers=None`` uses every core this process may run on (never more than there are jobs);
    ``workers=1`` or a single job renders here, without a pool. The first failing job (in job
    order) raises ReportError naming its target; jobs not yet started are cancelled.
    """
    jobs = list(jobs)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    targets = [job.target.resolve() for job in jobs]
    if len(set(targets)) != len(targets):
        duplicate = next(t for t in targets if targets.count(t) > 1)
        raise ReportError("two jobs in one batch write the same PDF", file=str(duplicate))
    if not jobs:
        return []
    require_cjk_font()  # a clear ConfigurationError here rather than a broken pool later
    workers = min(workers or _machine_workers(), len(jobs))
    if workers == 1:
        results = []
        for job in jobs:
            try:
                results.append(render_pdf(job))
                if on_result is not None:
                    on_result(results[-1])
            except Exception as exc:
                error = _as_report_error(exc, job)
                if failures is not None and not isinstance(exc, ConfigurationError):
                    logger.error("%s", error)
                    failures.append(error)
                    continue
                if error is exc:
                    raise
                raise error from exc
        return results

    context = multiprocessing.get_context(_start_method())
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
        futures: list[Future] = [pool.submit(render_pdf, job) for job in jobs]
        if on_result is not None:
            for future in futures:
                future.add_done_callback(
                    lambda done: not done.cancelled() and done.exception() is None and on_result(done.result())
                )
        results = []
        for job, future in zip(jobs, futures):
            try:
                results.append(future.result())
            except Exception as exc:
                if failures is not None and not isinstance(exc, (ConfigurationError, BrokenProcessPool)):
                    error = _as_report_error(exc, job)
                    logger.error("%s", error)
                    failures.append(error)
                    continue
                for pending in futures:
                    pending.cancel()
                error = _as_report_error(exc, job)
                if error is exc:
                    raise
                raise error from exc
    logger.info("rendered %d PDFs with %d workers in %.1f s", len(jobs), workers, time.perf_counter() - started)
    return results
