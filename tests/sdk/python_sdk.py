"""Voucherify's official Python SDK (PyPI `voucherify`, strict pydantic models) against a
running Conveyor. Usage: python python_sdk.py BASE_URL APP_ID APP_TOKEN

Prints one cargo-style `test result:` line so the suite's summary counts these tests.
"""

import datetime
import sys
import time
import traceback

import voucherify
from voucherify.exceptions import NotFoundException, UnauthorizedException

BASE, APP_ID, APP_TOKEN = sys.argv[1:4]
config = voucherify.Configuration(host=BASE, api_key={"X-App-Id": APP_ID, "X-App-Token": APP_TOKEN})
client = voucherify.ApiClient(config)
actions = voucherify.AsyncActionsApi(client)
customers = voucherify.CustomersApi(client)
orders = voucherify.OrdersApi(client)


def wait_done(action_id):
    """Polls like the SDK's own tests: until operation_status is SUCCESS or FAILED."""
    for _ in range(100):
        action = actions.get_async_action(action_id)
        if action.operation_status in ("SUCCESS", "FAILED"):
            return action
        time.sleep(0.1)
    raise AssertionError(f"{action_id} did not finish")


def test_bulk_update_and_get_async_action():
    body = [
        voucherify.CustomersUpdateInBulkRequestBody(source_id="py-1", name="Py One", metadata={"tier": "gold"}),
        voucherify.CustomersUpdateInBulkRequestBody(source_id="py-2", email="two@example.com"),
    ]
    created = customers.update_customers_in_bulk(body)
    assert created.async_action_id.startswith("aa_"), created
    action = wait_done(created.async_action_id)
    assert action.status == "DONE", action
    assert action.type == "CUSTOMERS.BULK_UPDATE"
    assert action.progress == 100 and isinstance(action.processing_time, int)
    assert isinstance(action.created_at, datetime.datetime)
    assert action.result["done_count"] == 2 and action.result["failed_count"] == 0, action.result
    assert action.result["reports"][0].endswith(f"/v1/async-actions/{action.id}/report")


def test_metadata_update():
    body = voucherify.CustomersMetadataUpdateInBulkRequestBody(source_ids=["py-1", "py-3"], metadata={"lang": "en"})
    created = customers.update_customers_metadata_in_bulk(body)
    action = wait_done(created.async_action_id)
    assert action.operation_status == "SUCCESS" and action.result["done_count"] == 2, action
    assert customers.get_customer("py-1").metadata == {"tier": "gold", "lang": "en"}


def test_list_async_actions_pages_with_end_date():
    page = actions.list_async_actions(limit=1)
    assert page.object == "list" and page.data_ref == "async_actions", page
    assert len(page.async_actions) == 1 and page.has_more is True
    newest = page.async_actions[0]
    # The SDK sends a tz-aware datetime as e.g. 2026-11-28T14:47:57.986000+0000.
    older = actions.list_async_actions(limit=10, end_date=newest.created_at)
    assert newest.id not in [a.id for a in older.async_actions]
    assert len(older.async_actions) >= 1
    assert all(a.created_at < newest.created_at for a in older.async_actions)


def test_customer_endpoints():
    created = customers.create_customer(voucherify.CustomersCreateRequestBody(source_id="py-c", name="Py C"))
    assert created.id.startswith("cust_") and created.object == "customer"
    fetched = customers.get_customer(created.id)
    assert fetched.source_id == "py-c" and fetched.summary is None
    updated = customers.update_customer(created.id, voucherify.CustomersUpdateRequestBody(email="c@example.com"))
    assert updated.email == "c@example.com" and updated.name == "Py C"
    listed = customers.list_customers(limit=100)
    assert listed.total >= 4 and any(c.id == created.id for c in listed.customers)
    customers.delete_customer(created.id)
    try:
        customers.get_customer(created.id)
        raise AssertionError("deleted customer still found")
    except NotFoundException as e:
        assert '"resource_type":"customer"' in e.body, e.body


def test_import_orders_and_read_them():
    body = [
        voucherify.OrdersImportCreateRequestBodyItem(
            source_id="py-ord-1",
            status="PAID",
            created_at=datetime.datetime(2022, 3, 1, 10, 0, tzinfo=datetime.timezone.utc),
            customer=voucherify.Customer(source_id="py-buyer", name="Buyer"),
            items=[
                voucherify.OrderItem(
                    source_id="py-prod",
                    related_object="product",
                    quantity=2,
                    product=voucherify.OrderItemProduct(name="Thing", price=1000),
                )
            ],
        ),
        voucherify.OrdersImportCreateRequestBodyItem(status="CREATED", items=[voucherify.OrderItem(product_id="prod_000000000000000000")]),
    ]
    created = orders.import_orders(body)
    action = wait_done(created.async_action_id)
    assert action.type == "ORDERS.IMPORT" and action.status == "DONE", action
    assert action.result["done_count"] == 1 and action.result["failed"] == [
        {"source_id": None, "reason": "Cannot find product with id prod_000000000000000000"}
    ], action.result
    order = orders.get_order("py-ord-1")
    assert order.object == "order" and order.id.startswith("ord_") and order.status == "PAID", order
    assert order.amount == 2000 and order.total_amount == 2000 and order.customer.id == order.customer_id
    assert order.created_at == datetime.datetime(2022, 3, 1, 10, 0, tzinfo=datetime.timezone.utc)
    assert order.items[0].product.name == "Thing" and order.items[0].product_id.startswith("prod_")
    listed = orders.list_orders(limit=10)
    assert listed.object == "list" and listed.data_ref == "orders" and listed.total == 1, listed
    assert listed.orders[0].id == order.id


def test_errors_map_to_sdk_exceptions():
    try:
        actions.get_async_action("aa_0aeb82bd55d5beffb0")
        raise AssertionError("expected 404")
    except NotFoundException as e:
        assert '"key":"not_found"' in e.body and '"request_id":"v-' in e.body, e.body
    bad = voucherify.ApiClient(voucherify.Configuration(host=BASE, api_key={"X-App-Id": APP_ID, "X-App-Token": "wrong"}))
    try:
        voucherify.AsyncActionsApi(bad).list_async_actions()
        raise AssertionError("expected 401")
    except UnauthorizedException as e:
        assert '"key":"unauthorized"' in e.body, e.body


TESTS = [
    test_bulk_update_and_get_async_action,
    test_metadata_update,
    test_list_async_actions_pages_with_end_date,
    test_customer_endpoints,
    test_import_orders_and_read_them,
    test_errors_map_to_sdk_exceptions,
]

if __name__ == "__main__":
    passed = failed = 0
    for test in TESTS:
        try:
            test()
            passed += 1
            print(f"test python_sdk::{test.__name__} ... ok")
        except Exception:
            failed += 1
            print(f"test python_sdk::{test.__name__} ... FAILED")
            traceback.print_exc()
    outcome = "ok" if failed == 0 else "FAILED"
    print(f"test result: {outcome}. {passed} passed; {failed} failed; 0 ignored (voucherify Python SDK)")
    sys.exit(1 if failed else 0)
