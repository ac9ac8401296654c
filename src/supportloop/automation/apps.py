from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "supportloop.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        # Each part of automation (triggers, time rules, SLAs, routing, webhooks) registers its ticket-event
        # listeners, actions and scheduled jobs from its own `connect()` here.
        from supportloop.automation import incident_tasks, routing, sla_tasks, triggers, webhook_tasks

        # Routing first: listeners run in registration order, so triggers registered after it see the ticket
        # already routed and assigned (their conditions on team and assignee depend on it).
        routing.connect()
        sla_tasks.connect()  # SLA clocks from ticket events; the every-minute warning/breach check
        triggers.connect()  # triggers (after routing and SLAs: they see the routed ticket), hourly time rules
        webhook_tasks.connect()  # outbound webhooks and chat posts from ticket events and rule actions
        incident_tasks.connect()  # incidents: new tickets matched to open incidents; the bulk reply job
