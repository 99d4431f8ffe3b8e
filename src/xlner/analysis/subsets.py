"""Training subsets of a sentence pool, nested across sizes and fixed by a seed."""
import random


def nested_subset(ids, size, seed):
    """The first `size` ids of a seeded permutation of `ids`, in pool order.

    For one seed, a smaller subset is always inside a larger one (the permutation is the same), so a
    learning curve adds data rather than swapping it. `size` larger than the pool is an error.
    """
    ids = list(ids)
    if size > len(ids):
        raise ValueError(f"subset of {size} sentences asked from a pool of {len(ids)}")
    order = list(range(len(ids)))
    random.Random(seed).shuffle(order)
    return [ids[i] for i in sorted(order[:size])]
