from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "supportloop.customers"
    label = "customers"
    verbose_name = "Customers"
