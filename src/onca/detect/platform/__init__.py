"""What the platform provides to detection content: the caching API, lookup-table rows and the modules content
imports."""

from onca.detect.platform.caching import kv_table, use_kv_store
from onca.detect.platform.lookups import lookup_function, use_lookup_function
from onca.detect.platform.modules import PLATFORM_MODULES, install_platform_modules

__all__ = [
    "PLATFORM_MODULES", "install_platform_modules", "kv_table", "lookup_function", "use_kv_store",
    "use_lookup_function",
]
