"""ONNX conversion of skfusion's estimators (needs the ``onnx`` extra).

Importing it registers both estimators with skl2onnx, so that plain
``skl2onnx.to_onnx`` converts them, alone or as a pipeline's last step.
"""

import importlib.util

import numpy as np

from ._fusion import TorchLogisticFusion
from ._margin import MarginThresholdClassifier
from ._margin_tools import _margin_positions

__all__ = ["register_converters", "to_onnx"]


def register_converters() -> None:
    """Register skfusion's estimators with skl2onnx.

    Importing `skfusion.onnx` calls it where skl2onnx is installed; then
    ``skl2onnx.to_onnx`` converts both estimators, alone or as a pipeline's
    last step, with no options. Calling it again changes nothing.

    See Also
    --------
    to_onnx : Converts one estimator.

    Notes
    -----
    Each graph repeats `decision_function`'s arithmetic in its order, in
    float64 (float32 where the input and a float32 fit are): the labels are
    `predict`'s, the scores agree to the sigmoid's rounding. A fusion's graph
    outputs ``label`` and ``probabilities``, through skl2onnx's ZipMap
    (float32 only: with float64 input pass ``options={"zipmap": False}``). A
    margin rule's outputs ``label`` and ``scores`` ``[-d, d]``, float64, for
    its `decision_function` ``d``. Labels are int64, or strings for string
    classes. The graphs check nothing: where `predict` raises (NaN,
    infinity, an overflowing margin) scores are NaN or infinite.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import skfusion.onnx  # registers the converters
    >>> from skfusion import MarginThresholdClassifier
    >>> X = np.array([[2.0, 5.0], [1.0, 4.0], [6.0, 1.0], [7.0, 3.0]])
    >>> rule = make_pipeline(StandardScaler(), MarginThresholdClassifier())
    >>> onx = skl2onnx.to_onnx(rule.fit(X, [0, 0, 1, 1]), X[:1])
    >>> [output.name for output in onx.graph.output]
    ['label', 'scores']
    """
    try:
        import skl2onnx
        from skl2onnx.common.shape_calculator import (
            calculate_linear_classifier_output_shapes as shapes,
        )
    except ImportError as exc:
        raise ImportError(
            f"skfusion.onnx needs skl2onnx, which could not be imported ({exc}): "
            'install the onnx extra, pip install -e ".[onnx]" in a clone of skfusion.'
        ) from exc

    for estimator, convert, parser, zipmap in [
        (TorchLogisticFusion, _convert, None, [True, False, "columns"]),
        (MarginThresholdClassifier, _convert, _parse_margin, [True, False]),
    ]:
        skl2onnx.update_registered_converter(
            estimator, f"Skfusion{estimator.__name__}", shapes, convert, overwrite=True,
            parser=parser, options={"zipmap": zipmap, "nocl": [False]},
        )  # fmt: skip


def to_onnx(estimator, X, *, zipmap=False, target_opset=None):
    """Convert a fitted skfusion estimator to an ONNX model.

    Parameters
    ----------
    estimator : TorchLogisticFusion or MarginThresholdClassifier
        The fitted estimator.
    X : ndarray of shape (n_samples, n_features)
        Example input: its dtype (float32, or float64 keeping the estimator's
        precision) and width make the graph's input ``X``.
    zipmap : bool or "columns", default=False
        The skl2onnx option for a fusion's probabilities: an ``(n, 2)`` tensor,
        a dictionary per row (float32 `X` only) or an output per class. A
        margin rule accepts only False.
    target_opset : int, default=None
        ONNX opset; None is the latest that skl2onnx has tested.

    Returns
    -------
    onx : onnx.ModelProto
        The model, with input ``X`` and outputs ``label`` and
        ``probabilities`` (fusion) or ``scores`` (margin rule).

    See Also
    --------
    register_converters : What the graphs compute and output.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skfusion import TorchLogisticFusion
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.onnx import to_onnx
    >>> X, y = make_squad2_scores(n_questions=300, random_state=0)
    >>> fusion = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
    >>> onx = to_onnx(fusion, X)
    >>> session = ort.InferenceSession(onx.SerializeToString())
    >>> label, proba = session.run(None, {"X": X})
    >>> bool((label == fusion.predict(X)).all())
    True
    >>> bool(np.abs(proba - fusion.predict_proba(X)).max() < 1e-6)
    True
    """
    register_converters()
    import skl2onnx

    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64) or X.ndim != 2:
        raise ValueError(
            f"X must be a 2-D float32 or float64 array, got a {X.ndim}-D {X.dtype} "
            "array."
        )
    if zipmap is not False and isinstance(estimator, MarginThresholdClassifier):
        raise ValueError(
            f"Unexpected value [{zipmap!r}] for option 'zipmap' (it must be in "
            "[False]): a MarginThresholdClassifier has no probabilities to map."
        )
    if zipmap is True and X.dtype == np.float64:
        raise ValueError(
            "ONNX's ZipMap takes float32 probabilities only: give float32 X, "
            "or zipmap=False or 'columns'."
        )
    options = {id(estimator): {"zipmap": zipmap}}
    return skl2onnx.to_onnx(
        estimator, X[:1], options=options, target_opset=target_opset
    )


def _parse_margin(scope, model, inputs, custom_parsers=None):
    from skl2onnx.common.data_types import DoubleTensorType, guess_tensor_type

    operator = scope.declare_local_operator(f"Skfusion{type(model).__name__}", model)
    operator.inputs = inputs
    label = scope.declare_local_variable("label", guess_tensor_type(inputs[0].type))
    scores = scope.declare_local_variable("scores", DoubleTensorType())
    operator.outputs.extend([label, scores])
    return operator.outputs


def _convert(scope, operator, container):
    """Add either estimator's graph: decision, labels, two-column scores."""
    from onnx.helper import np_dtype_to_tensor_dtype as proto
    from skl2onnx.common.data_types import DoubleTensorType

    def constant(value):
        value, name = np.asarray(value), scope.get_unique_variable_name("c")
        content = value.ravel().tolist()
        container.add_initializer(name, proto(value.dtype), list(value.shape), content)
        return name

    def node(op_type, *inputs, output=None, **attrs):
        output = output or scope.get_unique_variable_name(op_type.lower())
        name = scope.get_unique_operator_name(op_type)
        container.add_node(op_type, list(inputs), output, name=name, **attrs)
        return output

    def column_sum(X, positions):
        columns = [node("Gather", X, constant(np.int64(j)), axis=1) for j in positions]
        total = columns[0]
        for column in columns[1:]:
            total = node("Add", total, column)
        return total

    model, outputs, X = operator.raw_operator, operator.outputs, operator.inputs[0]
    in_dtype = np.float64 if isinstance(X.type, DoubleTensorType) else np.float32
    if type(model) is TorchLogisticFusion:  # sigmoid(x @ coef_.T + intercept_)
        dtype = np.result_type(in_dtype, model.coef_.dtype)
        X = node("Cast", X.full_name, to=proto(dtype))
        products = node("Mul", X, constant(model.coef_.astype(dtype)))
        d = column_sum(products, range(model.coef_.shape[1]))
        d = node("Add", d, constant(model.intercept_.astype(dtype)[0]))
        positive = node("Greater", d, constant(dtype.type(0)))
        scores = [node("Sigmoid", node("Neg", d)), node("Sigmoid", d)]
    else:  # d = null - span - best_threshold_, pos_label where d > 0
        X = node("Cast", X.full_name, to=proto(np.dtype(np.float64)))
        in_dtype, names = np.float64, getattr(model, "feature_names_in_", None)
        null, span = _margin_positions(
            model.null_column, model.span_column, model.n_features_in_, names
        )
        d = column_sum(X, null)
        if span is not None:
            d = node("Sub", d, column_sum(X, span))
        d = node("Sub", d, constant(np.float64(model.best_threshold_)))
        positive = node("Greater", d, constant(np.float64(0)))
        if model._positive_label(model.classes_) != model.classes_[1]:
            d, positive = node("Neg", d), node("Not", positive)
        scores = [node("Neg", d), d]
    classes = model.classes_
    table = constant(classes.astype(str if classes.dtype.kind in "USO" else np.int64))
    index = node("Cast", positive, to=proto(np.dtype(np.int64)))
    node("Gather", table, index, output=outputs[0].full_name)
    shape = constant(np.array([-1, 1], dtype=np.int64))
    both = node("Concat", *[node("Reshape", v, shape) for v in scores], axis=1)
    node("Cast", both, output=outputs[1].full_name, to=proto(np.dtype(in_dtype)))


if importlib.util.find_spec("skl2onnx") is not None:
    register_converters()
