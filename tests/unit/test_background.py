"""background.every: a round now and every interval; a failed round does not end the loop,
it restarts after a back-off."""

import asyncio

import pytest

from services.intake.service_layer.background import every

pytestmark = pytest.mark.unit


async def test_rounds_repeat_and_a_failed_round_is_retried_after_a_back_off() -> None:
    rounds: list[str] = []
    enough = asyncio.Event()

    async def do_round() -> None:
        rounds.append("round")
        if len(rounds) == 2:
            raise ConnectionError("the database is away")
        if len(rounds) == 4:
            enough.set()

    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(every(0.01, do_round))
    await asyncio.wait_for(enough.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rounds == ["round"] * 4
    assert loop.time() - started >= 1.0  # the first back-off after the failure
