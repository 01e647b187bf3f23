"""Workshop training modules: content as data, a pack builder and an answer checker.

Answer keys are computed by the engine (``mecc`` public API); no expected number is
typed by hand. The modules arrive with the training issue.
"""
