"""Options for oslo-config-generator (entry point ``oslo.config.opts``)."""

import copy

from oslo_config import cfg

from pratai_bridge import conf


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Every pratai-bridge option, grouped, as copies for the generator.

    Fails loudly when an option module has no ``list_opts``, so a new group
    cannot silently miss the sample config.
    """
    grouped: dict[str, list[cfg.Opt]] = {}
    for module in conf.MODULES:
        if not hasattr(module, 'list_opts'):
            raise AttributeError(f'{module.__name__} has no list_opts()')
        for group, opts in module.list_opts():
            grouped.setdefault(group, []).extend(copy.deepcopy(opts))
    return sorted(grouped.items(), key=lambda item: item[0] != 'DEFAULT')
