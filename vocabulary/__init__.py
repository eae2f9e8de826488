"""The ground floor: the platform's fixed vocabulary, which every app may use and which imports no
app of the project (docs/architecture.md; import-linter keeps it so).

- ``vocabulary.people``: Zibo's districts, the target groups of the plan, education levels, the
  mobile-phone validator;
- ``vocabulary.identity``: resident ID numbers (GB 11643) and the masking of personal data;
- ``vocabulary.training``: skill levels, certificate types, Zibo's key industries.
"""
