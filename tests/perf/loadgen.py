"""The load generator's own ceiling: what one simulator process (its planner and ``Driver``,
as ``python -m services.simulator.cli run`` uses them) offers when nothing downstream
holds it back, so an intake figure below it is intake's, not the client's.

- The planner: a month of the organisation planned, timed; its e-Samsat reports kept for
  the two offering phases, which then measure the sending alone.
- HTTP: against a sink (``tests.perf.sink``, its own process) that answers at once, as
  intake would, item by item.
- Kafka ingress: the e-Samsat reports into a fresh topic of the real broker (the others
  over HTTP, as the simulator's ``kafka`` mode sends them); counted once Kafka acknowledged
  every record (the producer's offsets and the topic's end offsets must both agree).
- Mixed: the month planned as it goes (reports, validations, revision rounds), the
  validations as single requests, as the simulator fills a store: planner and sending.
"""

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from services.simulator.adapters.intake_http import IntakeClient
from services.simulator.adapters.kafka_ingress import IngressProducer
from services.simulator.adapters.tokens import Tokens
from services.simulator.domain.org import Organisation, build_organisation
from services.simulator.domain.traffic import Action, Report, plan_days, working_days
from services.simulator.service_layer.driver import Driver, Mode
from tests.perf import infra
from tests.perf.intake import Say

MONTH = working_days(date(2026, 11, 2), date(2026, 11, 30))


def plan(org: Organisation, limit: int) -> dict[str, Any]:
    """Plan the month once, timed (the planner's own ceiling), keeping its first ``limit``
    e-Samsat reports for the offering phases."""
    started, actions, feed = time.perf_counter(), 0, list[Action]()
    for action in plan_days(org, MONTH, seed=1):
        actions += 1
        if isinstance(action, Report) and action.channel == "esamsat" and len(feed) < limit:
            feed.append(action)
    seconds = time.perf_counter() - started
    return {"actions": actions, "seconds": round(seconds, 2),
            "actions_per_s": round(actions / seconds, 1), "feed": feed}


async def drive(org: Organisation, client: IntakeClient, mode: Mode, actions: Iterator[Action],
                limit: int, producer: IngressProducer | None = None) -> dict[str, Any]:
    driver = Driver(org, client, mode, rate=0, concurrency=32, batch_size=1000,
                    producer=producer)
    cpu = time.process_time()
    stats = await driver.run(actions, limit)
    cpu_s = time.process_time() - cpu
    summary = stats.summary()
    if summary["rejected"]:
        raise AssertionError(f"the sink or Kafka refused records: {summary['rejected']}")
    return {"mode": mode, "sent": stats.sent, "accepted": summary["accepted"],
            "seconds": summary["seconds"],
            "events_per_s": summary["rate"], "generator_cpu_s": round(cpu_s, 2),
            "generator_busy": round(cpu_s / stats.elapsed, 2) if stats.elapsed else None}


async def bench(stack: infra.Stack, logs: Path, say: Say, events: int, mixed: int,
                employees: int = 2_000) -> dict[str, Any]:
    org = build_organisation(employees, seed=1)
    planned = plan(org, events)  # before the sink starts: its start-up is not the planner's
    feed: list[Action] = planned.pop("feed")
    results: dict[str, Any] = {"employees": employees, "planner": planned}
    say(f"  the planner: {planned['actions_per_s']:,.0f} actions/s ({planned['actions']:,} "
        "in the month)")
    port = infra.free_port()
    sink = infra.Service("tests.perf.sink", [str(port)], {}, logs / "sink.log").start()
    try:
        await infra.wait_http(f"http://127.0.0.1:{port}/health", service=sink)
        async with IntakeClient(f"http://127.0.0.1:{port}", Tokens()) as client:
            results["http_batches"] = await drive(org, client, "batch", iter(feed), events)
            say(f"  HTTP batches of 1000 to a sink: {results['http_batches']['events_per_s']:,.0f}"
                " ev/s")
            topic = await stack.topic("ingress")
            async with IngressProducer(stack.kafka, topic) as producer:
                results["kafka_ingress"] = await drive(org, client, "kafka", iter(feed),
                                                       events, producer)
                acknowledged = sum(len(offsets) for offsets in producer.produced.values())
            on_topic = sum((await infra.end_offsets(topic, kafka=stack.kafka)).values())
            to_kafka = results["kafka_ingress"].pop("accepted")["reports_produced"]
            if not acknowledged == on_topic == to_kafka:
                raise AssertionError(f"produced {to_kafka}, acknowledged {acknowledged}, on "
                                     f"the topic {on_topic}")
            results["kafka_ingress"]["through_kafka"] = to_kafka
            say(f"  Kafka ingress: {results['kafka_ingress']['events_per_s']:,.0f} ev/s "
                "acknowledged")
            results["mixed_month"] = await drive(org, client, "batch",
                                                 iter(plan_days(org, MONTH, seed=1)), mixed)
            say(f"  a month's mixed traffic (validations single): "
                f"{results['mixed_month']['events_per_s']:,.0f} actions/s")
    finally:
        sink.stop()
    return results
