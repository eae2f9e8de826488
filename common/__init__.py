"""The ground floor: small helpers every app may use. Imports no app of the project."""
