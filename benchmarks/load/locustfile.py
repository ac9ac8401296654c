"""Load test: agents working the inbox through the REST API (locust, headless; benchmarks/load/run.py starts it).

Each simulated agent signs in with an API token (bearer), then mixes the five request kinds an agent's day is made
of, with these weights: inbox (the first page of active tickets, 50 rows) 40, ticket detail 30, reply 10,
internal note 10, link a ticket to a feedback item 10. Tokens, ticket numbers and feedback items come from the
JSON file named by SUPPORTLOOP_LOAD_FIXTURE (written by run.py from the seeded database).
Every request is named by its kind, so locust's statistics are per kind.

The agents are FastHttpUser (geventhttpclient): the load generator runs on the same 2 cores as the server, and
requests' HttpUser spent several times more CPU a request, CPU the server then lacked. SUPPORTLOOP_LOAD_CLIENT=requests
puts HttpUser back to compare (benchmarks/RESULTS.md has both).
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, HttpUser, between, task

FIXTURE = json.loads(open(os.environ["SUPPORTLOOP_LOAD_FIXTURE"]).read())  # noqa: SIM115 - read once at import
_tokens = itertools.cycle(FIXTURE["tokens"])


# Seconds between two requests of one agent (run.py --think): the default keeps 2 cores saturated.
_THINK = tuple(float(x) for x in os.environ.get("SUPPORTLOOP_LOAD_THINK", "0.05,0.25").split(","))


_CLIENT = HttpUser if os.environ.get("SUPPORTLOOP_LOAD_CLIENT") == "requests" else FastHttpUser


class Agent(_CLIENT):  # the client chosen at import, as above
    wait_time = between(_THINK[0], _THINK[1])

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {next(_tokens)}"}
        self.rng = random.Random()

    def _ticket(self) -> int:
        return self.rng.choice(FIXTURE["tickets"])

    @task(40)
    def inbox(self) -> None:
        self.client.get("/api/v1/tickets?status=open&limit=50", name="inbox", headers=self.auth)

    @task(30)
    def ticket_detail(self) -> None:
        self.client.get(f"/api/v1/tickets/{self._ticket()}", name="ticket detail", headers=self.auth)

    @task(10)
    def reply(self) -> None:
        self.client.post(
            f"/api/v1/tickets/{self._ticket()}/replies",
            json={"body": "Thanks, we are on it."},
            name="reply",
            headers=self.auth,
        )

    @task(10)
    def note(self) -> None:
        self.client.post(
            f"/api/v1/tickets/{self._ticket()}/notes",
            json={"body": "Checked the logs."},
            name="note",
            headers=self.auth,
        )

    @task(10)
    def feedback_link(self) -> None:
        item = self.rng.choice(FIXTURE["items"])
        with self.client.post(
            f"/api/v1/feedback/items/{item}/evidence",
            json={"ticket_number": self._ticket(), "quote": "They want this."},
            name="feedback link",
            headers=self.auth,
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # this ticket is already evidence of this item: a correct answer
                response.success()
