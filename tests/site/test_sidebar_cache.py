"""The sidebar rendered once per folder is exactly the sidebar the theme renders for every page."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.site.conftest import ROOT, build_site


def test_pages_are_byte_identical_to_a_build_rendering_every_sidebar(site_dir: Path, tmp_path: Path) -> None:
    import material

    overrides = tmp_path / "overrides" / "partials"
    overrides.mkdir(parents=True)
    # A user's own partials/nav.html wins over opsbook's cached one: here, the theme's original.
    shutil.copy(Path(material.__file__).parent / "templates" / "partials" / "nav.html", overrides / "nav.html")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("  name: material\n", f"  name: material\n  custom_dir: {tmp_path / 'overrides'}\n", 1)
    config = config.replace("  - opsbook\n", f"  - opsbook:\n      root: {ROOT}\n", 1)
    (tmp_path / "mkdocs.yml").write_text(f"docs_dir: {ROOT / 'docs'}\n{config}", encoding="utf-8")
    uncached = build_site(tmp_path, tmp_path / "site")

    pages = sorted(path.relative_to(site_dir) for path in site_dir.rglob("*.html"))
    assert pages == sorted(path.relative_to(uncached) for path in uncached.rglob("*.html"))
    incident_pages = [page for page in pages if page.parts[0] == "incidents" and len(page.parts) > 3]
    assert len(incident_pages) >= 10, "the pages the cache serves must be part of the comparison"
    for page in pages:
        assert (site_dir / page).read_bytes() == (uncached / page).read_bytes(), page
