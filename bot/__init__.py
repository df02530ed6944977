"""A multilingual Telegram Q&A bot over a markdown knowledge base.

One package per layer; the map (each layer, what it stands on, its modules, and a question's path
through them) is README.md's "How it is built", which `tests/test_layers.py` checks against the code.
"""

import os

# A serving process answers on one core: webhook workers are processes, and its other threads only wait on
# Telegram. numpy's OpenBLAS would start a thread per core for the unit-vector products (`search.similarity`),
# and on a busy machine each product then waits for the other core: a question's similarity to 22,000 units
# took 22 ms at the median and 145 ms at p90 so, against 1.9 and 10 ms on one thread. OpenBLAS reads this when
# numpy is first imported, which importing the bot comes before; an operator's own setting stands.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
