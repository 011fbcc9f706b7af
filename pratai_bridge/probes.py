"""Does each service the bridge needs answer? One read-only look at each.

Each probe returns ``(note, problem)``: a note saying what answered, or a
problem saying what did not. Nothing is created or changed: the transport
is asked about the bridge's queues with passive declares, the journal for
its schema version (never upgraded here), the Docker engine for the
runtime image.
"""

from oslo_config import cfg

from pratai_bridge.conf.check import Problem

__all__ = ['journal', 'runner', 'transport']

Probe = tuple[str | None, Problem | None]


def transport(conf: cfg.ConfigOpts) -> Probe:
    """The broker answers; how full the bridge's queues are."""
    from pratai_bridge import queues
    try:
        with queues.Queues(conf) as broker:
            found = [broker.show(name, exchange)
                     for name, exchange in queues.bridge_queues(conf)]
    except (queues.BrokerError, ValueError) as exc:
        return None, Problem(None, None, f'transport: {exc}')
    present = [queue for queue in found if queue.exists]
    waiting = sum(queue.messages or 0 for queue in present)
    return (f'transport: the broker answers; {len(present)} of the '
            f'{len(found)} queues of pool {conf.listener.pool!r} exist, '
            f'{waiting} messages waiting'), None


def journal(conf: cfg.ConfigOpts) -> Probe:
    """The journal database answers, at a schema version this code reads."""
    import sqlalchemy as sa

    from pratai_bridge.journal import SchemaVersionError
    from pratai_bridge.journal import api
    try:
        opened = api.Journal(conf.journal.connection)
    except ValueError as exc:
        return None, Problem(None, None, f'[journal] connection: {exc}')
    try:
        opened.start(upgrade=False)
    except api.SchemaNotReady as exc:
        return None, Problem(None, None, f'journal: {exc}', error=False)
    except SchemaVersionError as exc:
        return None, Problem(None, None, f'journal: {exc}')
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, 'orig', None) or exc
        return None, Problem(None, None, f'journal: does not answer: '
                                         f'{str(cause).splitlines()[0]}')
    finally:
        opened.stop()
    return 'journal: answers, schema up to date', None


def runner(conf: cfg.ConfigOpts) -> Probe:
    """The runner can run: for docker, the engine answers."""
    from pratai_bridge.runners import _loader
    from pratai_bridge.runners import base
    try:
        loaded = _loader.load_runner(conf)
    except base.RunnerError as exc:
        return None, Problem(None, None, f'runner: {exc}')
    builder = getattr(loaded, 'builder', None)
    if builder is None:
        return f'runner {conf.runner.driver}: nothing to reach', None
    try:
        loaded.check_config()
        image = conf.builder.runtime_image
        present = builder.image_exists(image)
    except base.RunnerError as exc:
        return None, Problem(None, None, f'runner {conf.runner.driver}: '
                                         f'{exc}')
    finally:
        builder.close()
    return (f'runner {conf.runner.driver}: the engine answers; runtime '
            f'image {image} ' + ('present' if present else
                                 'missing (built with the first function, '
                                 'or now: pratai-bridge-manage runtime '
                                 'build)')), None
