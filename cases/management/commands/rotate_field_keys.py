"""Re-encrypt every encrypted value with the newest key; optionally re-hash the ID numbers.

Key rotation (docs/security.md, "Encryption at rest"):

1. Put the new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, restart.
2. `python manage.py rotate_field_keys` — every value not yet under the newest key is
   re-encrypted, a batch of rows per transaction; an interrupted run is simply run again
   (values already under the newest key are skipped), or resumed with `--resume`.
3. `python manage.py rotate_field_keys --check` reports 0 values left; then remove the old key.

A new ID_HASH_KEY: set it, restart, and run `rotate_field_keys --rehash` at once — until then
look-ups by ID number find nothing. The hashes are recomputed from the decrypted numbers: the
full-number hash and the hash of the last six characters (`Person.id_tail_hash`) alike.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases import crypto


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields with the newest FIELD_ENCRYPTION_KEYS key (batched)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000,
                            help="rows per transaction (default 1000)")
        parser.add_argument("--rehash", action="store_true",
                            help="also recompute the ID-number hashes with ID_HASH_KEY")
        parser.add_argument("--check", action="store_true",
                            help="only count the values not yet under the newest key")
        parser.add_argument("--resume", metavar="TABLE:ID",
                            help="start TABLE after primary key ID (as printed by a run)")

    def handle(self, *args, batch: int, rehash: bool, check: bool, resume: str | None,
               **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        resume_table, resume_id = None, None
        if resume:
            resume_table, _, raw_id = resume.partition(":")
            if not raw_id.isdigit():
                raise CommandError("--resume takes TABLE:ID, e.g. cases_person:120000")
            resume_id = int(raw_id)
        hashes: dict = {}
        for model, field in crypto.hashed_fields():
            hashes.setdefault(model, []).append(field)
        plan = crypto.encrypted_fields()
        if resume_table:
            tables = [m._meta.db_table for m, _ in plan]
            if resume_table not in tables:
                raise CommandError(f"{resume_table} has no encrypted fields: {tables}")
            plan = plan[tables.index(resume_table):]
        if check:
            self._check(plan)
            return
        total = 0
        for model, fields in plan:
            table = model._meta.db_table
            start = resume_id if table == resume_table else None
            total += self._rotate(model, fields, hashes.get(model, []) if rehash else [],
                                  batch=batch, after_id=start)
        self.stdout.write(self.style.SUCCESS(f"完成：共重写 {total} 行。"))

    def _rotate(self, model, fields, hash_fields, *, batch: int, after_id) -> int:
        table, pk = model._meta.db_table, model._meta.pk.column
        columns = [f.column for f in fields]
        # (hash column, source column, hash function) for each keyed hash of the model.
        hashes = tuple((f.column, model._meta.get_field(f.source).column, f.hash_of)
                       for f in hash_fields)

        def convert(token: str) -> str | None:
            if crypto.encrypted_with_primary(token):
                return None  # already under the newest key: an interrupted run resumes here
            return crypto.rotate(token)

        done = 0
        while True:
            with transaction.atomic():
                crypto.allow_token_rewrite(connection)
                if hashes:
                    # The hash is made from the clear number: decrypt before hashing.
                    changed, last = _rehash_batch(table, columns, hashes, batch, after_id, pk)
                else:
                    changed, last = crypto.rewrite_columns(connection, table, columns, convert,
                                                           batch=batch, after_id=after_id, pk=pk)
            if last is None:
                break
            done += changed
            after_id = last
            self.stdout.write(f"{table}: 已处理至 {table}:{last}（本批重写 {changed} 行）")
        return done

    def _check(self, plan) -> None:
        left = 0
        for model, fields in plan:
            columns = [f.column for f in fields]
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} "  # noqa: S608
                               f"FROM {qn(model._meta.db_table)}")
                count = sum(1 for row in cursor.fetchall() for v in row
                            if v is not None and not crypto.encrypted_with_primary(str(v)))
            self.stdout.write(f"{model._meta.db_table}: {count}")
            left += count
        self.stdout.write(f"尚未使用最新密钥加密的值：{left}")
        if left:
            raise CommandError(f"{left} values are not under the newest key yet.")


def _rehash_batch(table, columns, hashes, batch, after_id, pk):
    """Rotate a batch and set its hashes (`hashes`: (column, source column, function)) from
    the decrypted ID numbers."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        where = f"WHERE {qn(pk)} > %s " if after_id is not None else ""
        cursor.execute(f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} "  # noqa: S608
                       f"FROM {qn(table)} {where}ORDER BY {qn(pk)} LIMIT %s",
                       [*([after_id] if after_id is not None else []), batch])
        rows = cursor.fetchall()
        updates = []
        for row in rows:
            values = dict(zip(columns, row[1:], strict=True))
            rotated = [None if values[c] is None else crypto.rotate(values[c]) for c in columns]
            clear = {s: crypto.decrypt(values[s]) for s in {h[1] for h in hashes} if values[s]}
            hashed = [hash_of(clear[source]) if source in clear else None
                      for _column, source, hash_of in hashes]
            updates.append([*rotated, *hashed, row[0]])
        if updates:
            assignment = ", ".join(f"{qn(c)} = %s"
                                   for c in [*columns, *(h[0] for h in hashes)])
            cursor.executemany(f"UPDATE {qn(table)} SET {assignment} "  # noqa: S608
                               f"WHERE {qn(pk)} = %s", updates)
    return len(updates), (rows[-1][0] if rows else None)
