"""The public API: public modules, and the classes and functions they export."""

import importlib
import inspect
import pkgutil

import skfusion

# The command's module: its interface is the command line, which doc/cli.rst
# documents from the parser itself; its functions take an argparse namespace.
NOT_LIBRARY_MODULES = {"skfusion.cli", "skfusion.__main__"}


def public_modules():
    """Modules without a private part in their name, as imbalanced-learn walks."""
    found = ["skfusion"]
    for info in pkgutil.walk_packages(skfusion.__path__, prefix="skfusion."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(set(found) - NOT_LIBRARY_MODULES)


def public_objects():
    """Map each public class and function to its public name.

    An object exported by several modules is named after the deepest one
    that contains its definition: ``skfusion.metrics.exact_match``, not its
    re-export in ``skfusion.datasets``.
    """
    names = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            path = f"{module_name}.{name}"
            if obj not in names or _depth_of_home(path, obj) > _depth_of_home(
                names[obj], obj
            ):
                names[obj] = path
    return names


def _depth_of_home(path, obj):
    """How deep the module of `path` is, if it contains `obj`'s definition."""
    module = path.rsplit(".", 1)[0]
    home = obj.__module__
    inside = home == module or home.startswith(module + ".")
    return module.count(".") + 1 if inside else 0
