"""The debuggee heap's arena, over a fake page source."""
import random

from lldb_jit.memory import PAGE, Arena


class Pages:
    def __init__(self):
        self.chunks = []

    def grow(self, size):
        base = 0x7F0000000000 + len(self.chunks) * 0x100000
        self.chunks.append((base, size))
        return base


def test_blocks_are_aligned_and_disjoint():
    pages = Pages()
    arena = Arena(pages.grow)
    blocks = [(arena.allocate(size, align), size)
              for size, align in [(1, 1), (7, 16), (100, 64), (3, 8), (4096, 16)]]
    assert all(addr % align == 0 for (addr, _), align in zip(blocks, [1, 16, 64, 8, 16]))
    spans = sorted((a, a + n) for a, n in blocks)
    assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:]))
    assert len(pages.chunks) == 1 and pages.chunks[0][1] % PAGE == 0


def test_freed_memory_is_reused_and_merged():
    pages = Pages()
    arena = Arena(pages.grow, chunk=PAGE)
    rng = random.Random(7)
    for _ in range(2000):                       # churn: allocate and free at random
        live = [arena.allocate(rng.randint(1, 300), rng.choice([1, 8, 16])) for _ in range(8)]
        for addr in live:
            arena.free(addr)
    assert len(pages.chunks) == 1               # never needed a second chunk
    assert arena._free == [(pages.chunks[0][0], pages.chunks[0][0] + PAGE)]   # all merged


def test_a_large_block_grows_a_chunk_big_enough():
    pages = Pages()
    arena = Arena(pages.grow, chunk=PAGE)
    addr = arena.allocate(5 * PAGE, 64)
    assert addr % 64 == 0 and pages.chunks[0][1] >= 5 * PAGE + 64
