"""The micro-batcher and the analysis engine's bounds, on real FER2013 face crops."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from service_helpers import run_async

from emolens import EmotionRecognizer
from emolens.service.analysis import Analyzer, BusyError
from emolens.service.batching import MicroBatcher
from emolens.service.settings import ServiceSettings


@pytest.fixture(scope="module")
def recognizer():
    return EmotionRecognizer()


def _batched(classify, groups, max_batch, max_wait_ms=200.0):
    """Classify ``groups`` of crops from concurrent callers; (answers, calls, faces, batch sizes). The long
    wait makes the batches independent of thread timing on a busy machine."""
    sizes: list[int] = []

    def counting(crops):
        sizes.append(len(crops))
        return classify(crops)

    async def scenario():
        batcher = MicroBatcher(counting, max_batch=max_batch, max_wait_ms=max_wait_ms)
        batcher.start()
        answers = await asyncio.gather(*(batcher.classify(g) for g in groups))
        batcher.stop()
        return answers, batcher.calls, batcher.faces

    answers, calls, faces = run_async(scenario())
    return answers, calls, faces, sizes


def test_concurrent_callers_share_one_call_and_get_their_own_rows(recognizer, sharp_faces):
    faces, _ = sharp_faces
    groups = [faces[i : i + k] for i, k in zip(range(0, 40, 4), [1, 2, 3, 4, 1, 2, 3, 4, 1, 2], strict=True)]
    answers, calls, total, sizes = _batched(recognizer.classify, groups, max_batch=64)
    assert calls == 1 and sizes == [sum(len(g) for g in groups)] and total == sizes[0]
    for group, probs in zip(groups, answers, strict=True):
        np.testing.assert_allclose(probs, recognizer.classify(group), atol=1e-5)


def test_batches_respect_max_batch_but_a_large_request_goes_whole(recognizer, sharp_faces):
    faces, _ = sharp_faces
    singles = [faces[i : i + 1] for i in range(10)]
    _, calls, _, sizes = _batched(recognizer.classify, singles, max_batch=4)
    assert (calls, sizes) == (3, [4, 4, 2])
    _, _, _, sizes = _batched(recognizer.classify, [faces[:6], faces[6:7]], max_batch=4)
    assert sizes == [6, 1]


def test_a_failing_call_fails_its_callers_and_the_batcher_carries_on(sharp_faces, recognizer):
    faces, _ = sharp_faces
    state = {"fail": True}

    def flaky(crops):
        if state.pop("fail", False):
            raise RuntimeError("classifier broke")
        return recognizer.classify(crops)

    async def scenario():
        batcher = MicroBatcher(flaky, max_batch=64, max_wait_ms=200)
        batcher.start()
        first = await asyncio.gather(*(batcher.classify(faces[i : i + 1]) for i in range(3)), return_exceptions=True)
        second = await batcher.classify(faces[:2])
        batcher.stop()
        return first, second

    first, second = run_async(scenario())
    assert all(isinstance(r, RuntimeError) for r in first)
    assert second.shape == (2, 7)


def test_more_requests_than_max_pending_are_refused(single_face_jpeg):
    async def scenario():
        analyzer = Analyzer(ServiceSettings(max_pending=1))
        await analyzer.start()
        try:
            first = asyncio.create_task(analyzer.analyze(single_face_jpeg))
            await asyncio.sleep(0)  # the first request is now in flight
            with pytest.raises(BusyError, match="busy"):
                await analyzer.analyze(single_face_jpeg)
            result = await first
            assert len(result.faces) == 1 and analyzer.pending == 0
            assert len((await analyzer.analyze(single_face_jpeg)).faces) == 1  # free again
        finally:
            await analyzer.stop()

    run_async(scenario())
