"""Workshop training modules: content as data, a pack builder and an answer checker.

- ``modules/<id>.yaml`` and ``locales/<lang>/*.yaml``: the eight modules' structure and
  words (:mod:`training_modules.catalogue`);
- :mod:`training_modules.scenario`, :mod:`~training_modules.facts`,
  :mod:`~training_modules.key`: exercise inputs, engine runs and answer keys computed
  from the run outputs (no expected number is typed by hand);
- :mod:`training_modules.pack` (``mecc training build``) and
  :mod:`training_modules.grading` (``mecc training check``).
"""
