"""Tab-separated tables: one header line, one line per row, NaN written as NA."""
import math

from xlner.formats.atomic import atomic_open


# Written by hand rather than with pandas' to_csv: rows are dicts with mixed types, and a column of integers with
# one missing value would come out as floats (300.0) from a DataFrame; here every cell prints as itself.
def write_tsv(path, rows, columns=None):
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    with atomic_open(path) as handle:
        handle.write("\t".join(columns) + "\n")
        for row in rows:
            handle.write("\t".join(_cell(row.get(c, "")) for c in columns) + "\n")


def _cell(value):
    if isinstance(value, float) and math.isnan(value):
        return "NA"
    return str(value)
