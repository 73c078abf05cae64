"""Seeded generated data: the bundled sample inbox and registry, and national-scale inputs for benchmarks and tests.

One home, one set of file writers:

* ``writers`` — every generated file: submissions in the input contract's layout (xlsx, csv, json),
  reproducible workbook archives, ``registry.csv``, ``extensions.csv``, the manifest, the inbox;
* ``handmade`` — workbooks written part by part: as Excel writes them, and hostile ones (zip bombs, XML
  entity attacks, very wide rows);
* ``clones`` — a submission file copied under another consortium's id and name;
* ``sample`` — the seeded sample (``generate_sample``), drawn step by step by ``scenario`` (what happens),
  ``consortia`` (who), ``dates`` (when), ``figures`` (values per field), ``texts`` (narratives),
  ``documents`` (the plans and summaries), ``defects`` (deliberate faults and rejected files), ``filing``
  (formats, encodings, styles, file names), ``selfcheck`` (the findings are the declared ones), ``cells``
  (values typed as people type them) and ``answer_key`` (``manifest.json``);
* ``national`` — a national inbox of clones of the sample's consortia (``generate_national``).

The tests' builders (tests/builders.py) write their files through ``writers`` and ``handmade`` too.
"""
