"""``cabructl docs``: a static, self-contained catalogue of the topology's events (HTML and CSS).

No script, font or image is loaded at view time and nothing is fetched: the site opens from a
folder, a CI artefact or GitHub Pages alike. The facts come from :mod:`cabructl.exports.facts`,
the same the AsyncAPI export shows.
"""

from __future__ import annotations

from typing import Mapping

from cabructl.exports.facts import Catalogue


def write_catalogue(catalogue: Catalogue, environments: Mapping[str, Catalogue], directory: str) -> int:
    """Build the site and swap it into ``directory`` whole; the number of pages written."""
    from cabructl.exports.catalogue.files import publish_directory
    from cabructl.exports.catalogue.site import site_files

    files = site_files(catalogue, environments)
    publish_directory(files, directory)
    return sum(1 for name in files if name.endswith(".html"))
