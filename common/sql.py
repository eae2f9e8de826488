"""Plain SQL statements over the models' tables, for the few hot paths where compiling ORM
queries costs more CPU than the database takes to run them: the crediting engine's fixed reads
and writes (``progress.store``) and token authentication's one query (``api.authentication``).

Values still go through the model fields and the database backend (the fields'
``get_db_prep_*`` going in, the backend's and the fields' converters coming out), so rows read and
written here are exactly what the ORM reads and writes (``Table``).

On PostgreSQL several statements travel to the server together, in one round trip (``run``):
they are sent as one query string, the statements separated by semicolons, and their results
read one after the other. They still run in order, inside the caller's transaction. SQLite runs
them one by one (it is in the process: a statement costs no round trip).

Statements are built only from the models' table and column names (quoted) and ``%s``
placeholders; every value is a parameter, bound by psycopg on the client as for every ORM query
(Django's cursors are psycopg's client-binding cursors). Hence the ``noqa: S608`` on them.

Part of the ground floor (docs/architecture.md): it imports no app.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.models.expressions import Col
from django.db.models.fields import AutoFieldMixin


def default_connection():
    """The thread's default connection itself: ``django.db.connection`` is a proxy that looks it
    up again on every attribute, and the statements below read it for every value."""
    return connections[DEFAULT_DB_ALIAS]


class Table:
    """One model's table: its columns, and how its rows become model instances."""

    def __init__(self, model: type[Model]):
        db = default_connection()
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.by_name = {field.name: field for field in self.fields}
        self.sql_name = db.ops.quote_name(model._meta.db_table)
        self.columns = ", ".join(
            f"{self.sql_name}.{db.ops.quote_name(field.column)}" for field in self.fields
        )
        self.attnames = [field.attname for field in self.fields]
        # A primary key the database assigns is left out; one the row brings (a session's UUID)
        # is written.
        self.insert_fields = [field for field in self.fields if not isinstance(field, AutoFieldMixin)]
        self.insert_columns = ", ".join(db.ops.quote_name(field.column) for field in self.insert_fields)
        self._converters: list | None = None
        self._updates: dict[tuple[str, ...], tuple[str, list]] = {}

    def converters(self) -> list[tuple[int, list, Col]]:
        """Per column, what the compiler would apply to its values (computed once)."""
        if self._converters is None:
            db, found = default_connection(), []
            for index, field in enumerate(self.fields):
                column = Col(self.model._meta.db_table, field)
                functions = db.ops.get_db_converters(column) + field.get_db_converters(db)
                if functions:
                    found.append((index, functions, column))
            self._converters = found
        return self._converters

    def instance(self, row: Sequence) -> Model:
        """The model instance of a row of ``columns``, its values converted as the ORM would."""
        converters = self.converters()
        if converters:
            db, row = default_connection(), list(row)
            for index, functions, column in converters:
                value = row[index]
                for function in functions:
                    value = function(value, column, db)
                row[index] = value
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, row)

    def select(self, where: str, params: Sequence) -> "Statement":
        return Statement(
            f"SELECT {self.columns} FROM {self.sql_name} WHERE {where}",  # noqa: S608
            list(params),
            lambda rows: [self.instance(row) for row in rows],
        )

    def value(self, name: str, value):
        """A value for a WHERE clause, as the field stores it."""
        return self.by_name[name].get_db_prep_value(value, default_connection(), prepared=False)

    def update(self, instance: Model, names: tuple[str, ...]) -> "Statement":
        """``UPDATE ... SET`` the named fields of one row, by primary key."""
        db = default_connection()
        if names not in self._updates:
            fields = [self.by_name[name] for name in names]
            assignments = ", ".join(f"{db.ops.quote_name(field.column)} = %s" for field in fields)
            pk = db.ops.quote_name(self.model._meta.pk.column)
            sql = f"UPDATE {self.sql_name} SET {assignments} WHERE {pk} = %s"  # noqa: S608
            self._updates[names] = (sql, fields)
        sql, fields = self._updates[names]
        params = [field.get_db_prep_save(getattr(instance, field.attname), db) for field in fields]
        params.append(self.model._meta.pk.get_db_prep_value(instance.pk, db))
        return Statement(sql, params)

    def insert(self, rows: Sequence[Model]) -> "Statement":
        """``INSERT`` rows in one statement, without reading their new primary keys back (the
        caller needs none; ``bulk_create`` asks for them)."""
        db, fields = default_connection(), self.insert_fields
        values = ", ".join([f"({placeholders(fields)})"] * len(rows))
        params = [field.get_db_prep_save(field.pre_save(row, True), db) for row in rows for field in fields]
        return Statement(f"INSERT INTO {self.sql_name} ({self.insert_columns}) VALUES {values}", params)  # noqa: S608

    def inserts(self, rows: Sequence[Model]) -> list["Statement"]:
        """``insert`` in as many statements as the database's limit of parameters needs (SQLite's;
        PostgreSQL here binds on the client and has none). The rows count as saved afterwards,
        as after ``bulk_create``, though a primary key the database assigns stays unread."""
        size = default_connection().ops.bulk_batch_size(self.insert_fields, rows) or len(rows)
        for row in rows:
            row._state.adding, row._state.db = False, DEFAULT_DB_ALIAS
        return [self.insert(rows[start : start + size]) for start in range(0, len(rows), size)]


@dataclass
class Statement:
    """One SQL statement, its parameters, and what becomes of its rows (None: it returns none)."""

    sql: str
    params: list
    read: Callable[[list[tuple]], object] | None = None


def run(statements: Sequence[Statement]) -> list:
    """Run the statements in order; the result of each (its ``read`` of its rows, or None). On
    PostgreSQL in one round trip (see the module docstring)."""
    statements = list(statements)
    with default_connection().cursor() as cursor:
        if cursor.db.vendor == "postgresql" and len(statements) > 1:
            return _run_together(cursor, statements)
        results = []
        for statement in statements:
            cursor.execute(statement.sql, statement.params)
            results.append(statement.read(cursor.fetchall()) if statement.read else None)
        return results


def _run_together(cursor, statements: list[Statement]) -> list:
    """One query string of all the statements: psycopg binds the values into it and sends it
    with PostgreSQL's simple query protocol, which runs several statements and returns a result
    for each (``nextset``). Against psycopg's pipeline mode of prepared statements, a heartbeat
    took a tenth fewer instructions, and PostgreSQL's backends less CPU (docs/benchmarks.md,
    step 12). It goes through Django's cursor: query logging, counting and error translation
    stay the ORM's."""
    cursor.execute(
        "; ".join(statement.sql for statement in statements),
        [value for statement in statements for value in statement.params],
    )
    results = []
    for statement in statements:
        results.append(statement.read(cursor.fetchall()) if statement.read else None)
        cursor.nextset()
    return results


def placeholders(values: Sequence) -> str:
    """``%s, %s, ...``: one placeholder per value."""
    return ", ".join(["%s"] * len(values))


_tables: dict[type[Model], Table] = {}


def table(model: type[Model]) -> Table:
    if model not in _tables:
        _tables[model] = Table(model)
    return _tables[model]
