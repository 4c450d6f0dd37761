"""clickstream-elt on Airflow (2.4 and newer, 3.x): two DAGs, created paused; unpause one.

    clickstream_elt_steps  one task per step: load >> build >> refresh >> data_tests >> freshness
                           (a failed step is retried alone, and the graph shows where it stopped)
    clickstream_elt_run    one task: elt run (migrate, load, build, refresh, data tests, summary)

Copy this file and clickstream_elt_command.py into the dags folder; the worker needs node,
the checkout (after `npm ci`) and the environment file: see clickstream_elt_command.py and
docs/guides/scheduling.md.

Exit codes: elt's 3 (database unreachable), 6 (lake source unavailable) and 8 (stream
unavailable) are retried (retries=3, 10 minutes apart); any other failure raises
AirflowFailException, which fails the task at once, without retries.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

try:  # Airflow 3
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.4 to 2.11
    from airflow.decorators import dag, task
from airflow.exceptions import AirflowException, AirflowFailException

from clickstream_elt_command import EltFailed, elt


def run(command: str) -> None:
    """`elt <command>`, its failure mapped to a retry or to a failure without retries."""
    try:
        elt(command)
    except EltFailed as failed:
        if failed.retryable:
            raise AirflowException(str(failed)) from failed
        raise AirflowFailException(str(failed)) from failed


DAG_SETTINGS = dict(
    schedule="30 2 * * *",
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    # no backfill of the days before today: each run loads every lake file not loaded yet
    catchup=False,
    # never two runs at once
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=3),
    is_paused_upon_creation=True,
    default_args=dict(retries=3, retry_delay=timedelta(minutes=10)),
    tags=["clickstream-elt"],
)


@dag(dag_id="clickstream_elt_steps", **DAG_SETTINGS)
def clickstream_elt_steps():
    @task(execution_timeout=timedelta(hours=1))
    def load():
        run("load --log-format json")

    @task(execution_timeout=timedelta(minutes=30))
    def build():
        run("build --log-format json")

    @task(execution_timeout=timedelta(minutes=30))
    def refresh():
        run("refresh --log-format json")

    @task(execution_timeout=timedelta(minutes=15))
    def data_tests():
        run("test --log-format json")

    @task(execution_timeout=timedelta(minutes=5))
    def freshness():
        run("freshness --warn-after 26h --error-after 50h --log-format json")

    load() >> build() >> refresh() >> data_tests() >> freshness()


@dag(dag_id="clickstream_elt_run", **DAG_SETTINGS)
def clickstream_elt_run():
    @task(execution_timeout=timedelta(hours=2))
    def elt_run():
        run("run --log-format json")

    elt_run()


clickstream_elt_steps()
clickstream_elt_run()
