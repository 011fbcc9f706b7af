"""Which subscriptions may run which functions: the one rule.

A function is owned by a project (``function create --project P``) or by
the operator (no project). A subscription is scoped to a project (its
``project:`` key: it only ever sees that project's events) or is
operator-level (no ``project``: it sees every project's events).

* An operator-owned function may be run by any subscription: the operator
  wrote it, and sees every event anyway.
* A project's function runs only for subscriptions of that same project:
  its code is the tenant's, so it must only ever receive the tenant's own
  events. A subscription of another project naming it is refused, and so
  is an operator-level one: an operator-level subscription would hand
  every project's events to one tenant's code. To run a tenant's function
  on the tenant's events, give the subscription ``project:``.

Checked when subscriptions are checked against the store (``subscriptions
validate``, ``config check``, the daemon's start: ``file:line``) and again
before each run (the store changes meanwhile), where a refusal ends the
execution with the error code ``function_forbidden``.
"""

__all__ = ['forbidden']


def forbidden(subscription: str, subscription_project: str | None,
              function: str, owner: str | None) -> str | None:
    """Why ``subscription`` may not run ``function``; None if it may."""
    if owner is None or subscription_project == owner:
        return None
    if subscription_project is None:
        return (f'subscription {subscription!r} is operator-level (no '
                f'project) and names function {function!r} of project '
                f'{owner}: a project\'s function runs only for its own '
                f'project\'s subscriptions (add "project: {owner}")')
    return (f'subscription {subscription!r} of project '
            f'{subscription_project} names function {function!r} of project '
            f'{owner}: a project\'s subscription may name only its '
            'project\'s functions or operator-owned ones')
