"""The order of the gallery's examples: that of the workflow they walk through."""

ORDER = [
    "plot_compare.py",
    "plot_verifier_fusion.py",
    "plot_tune_for_em.py",
    "plot_operating_point.py",
    "plot_save_calibrator.py",
    "plot_serve_onnx.py",
    "plot_figures.py",
]


class WorkflowOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``.

    Parameters
    ----------
    src_dir : str
        The gallery's folder (sphinx-gallery passes it; unused).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        """Return the example's place; an unlisted example fails the build."""
        return ORDER.index(filename)
