# Part of the kinds.py target that Python 2 cannot parse: a coroutine and a function with a non-ASCII name.
import asyncio


async def crunch(n):
    acc = 0
    for _ in range(4):
        for i in range(n):
            acc = (acc * 31 + i) % 65521  # LINE:coroutine
        # Hand control back to the event loop between parts, as a real coroutine does.
        await asyncio.sleep(0)
    return acc


def berechne_größe(n):
    acc = 0
    for i in range(n):
        acc = (acc * 31 + i) % 65521  # LINE:nonascii
    return acc
