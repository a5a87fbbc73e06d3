"""The built-in policy pack: one module per rule, each exposing ``RULE``.

A module's name is its rule id with dashes as underscores. See
``auditor.rule`` for the API custom rules use too.
"""
