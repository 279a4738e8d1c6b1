"""ONNX conversion of skfusion's estimators, to serve them with ONNX Runtime.

Needs the ``onnx`` extra (``pip install "skfusion[onnx]"``: skl2onnx, onnx
and onnxruntime). `register_converters` teaches skl2onnx both estimators, so
that ``skl2onnx.to_onnx`` converts them alone or inside a pipeline; `to_onnx`
registers them and converts one estimator.
"""

import numpy as np

from ._fusion import TorchLogisticFusion
from ._margin import MarginThresholdClassifier, _column_positions

__all__ = ["register_converters", "to_onnx"]

_ALIASES = {
    TorchLogisticFusion: "SkfusionTorchLogisticFusion",
    MarginThresholdClassifier: "SkfusionMarginThresholdClassifier",
}


def _import_skl2onnx():
    try:
        import skl2onnx
    except ImportError as exc:
        raise ImportError(
            f"skfusion.onnx needs skl2onnx, which could not be imported ({exc}). "
            "Install the onnx extra: pip install 'skfusion[onnx]'."
        ) from exc
    return skl2onnx


def register_converters() -> None:
    """Register skfusion's estimators with skl2onnx.

    After this call ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn``
    convert :class:`~skfusion.TorchLogisticFusion` and
    :class:`~skfusion.MarginThresholdClassifier`, alone or as a pipeline's
    last step. Calling it again changes nothing.

    See Also
    --------
    to_onnx : Registers the converters and converts one estimator.

    Notes
    -----
    Each graph repeats the estimator's own arithmetic in float64 (or in
    float32 where both the input and a float32 fit's coefficients are
    float32): products and sums in the same order as `decision_function`,
    so the labels are `predict`'s and the scores agree to rounding of the
    sigmoid. A :class:`~skfusion.TorchLogisticFusion` graph outputs
    ``label`` and ``probabilities`` (`predict_proba`), through skl2onnx's
    ZipMap unless the option ``zipmap`` is False, as for scikit-learn's
    classifiers. A :class:`~skfusion.MarginThresholdClassifier` has no
    probabilities: its graph outputs ``label`` and ``scores``, ``[-d, d]``
    in float64 for its `decision_function` ``d``, and refuses
    ``zipmap=True``. Labels are
    int64 for integer or boolean classes, strings for string classes.

    The graphs check nothing: rows with NaN, infinity or a margin that
    overflows give NaN or infinite scores where `predict` raises.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.onnx import register_converters
    >>> register_converters()
    >>> X = np.array([[2.0, 5.0], [1.0, 4.0], [6.0, 1.0], [7.0, 3.0]])
    >>> rule = MarginThresholdClassifier().fit(X, [0, 0, 1, 1])
    >>> onx = skl2onnx.to_onnx(rule, X[:1])
    >>> [output.name for output in onx.graph.output]
    ['label', 'scores']
    """
    skl2onnx = _import_skl2onnx()
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )

    skl2onnx.update_registered_converter(
        TorchLogisticFusion,
        _ALIASES[TorchLogisticFusion],
        calculate_linear_classifier_output_shapes,
        _convert_fusion,
        overwrite=True,
        options={"zipmap": [True, False, "columns"], "nocl": [False]},
    )
    skl2onnx.update_registered_converter(
        MarginThresholdClassifier,
        _ALIASES[MarginThresholdClassifier],
        calculate_linear_classifier_output_shapes,
        _convert_margin,
        overwrite=True,
        parser=_parse_margin,
        options={"zipmap": [False], "nocl": [False]},
    )


def to_onnx(estimator, X, *, zipmap=False, target_opset=None):
    """Convert a fitted skfusion estimator to an ONNX model.

    Parameters
    ----------
    estimator : TorchLogisticFusion or MarginThresholdClassifier
        The fitted estimator.
    X : ndarray of shape (n_samples, n_features)
        Example input: its dtype (float32 or float64; float64 keeps the
        estimator's precision) and width make the graph's input ``X``.
    zipmap : bool or "columns", default=False
        For :class:`~skfusion.TorchLogisticFusion`, skl2onnx's option: False
        gives the probabilities as an ``(n, 2)`` tensor, True as one
        dictionary per row (float32 `X` only), "columns" as one output per
        class.
        :class:`~skfusion.MarginThresholdClassifier` accepts only False.
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
    skl2onnx = _import_skl2onnx()
    register_converters()
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64) or X.ndim != 2:
        raise ValueError(
            "X must be a 2-D float32 or float64 array, got a "
            f"{X.ndim}-D {X.dtype} array."
        )
    if zipmap is True and X.dtype == np.float64:
        raise ValueError(
            "ONNX's ZipMap takes float32 probabilities only: give float32 X, "
            "or zipmap=False or 'columns'."
        )
    return skl2onnx.to_onnx(
        estimator,
        X[:1],
        options={id(estimator): {"zipmap": zipmap}},
        target_opset=target_opset,
    )


def _parse_margin(scope, model, inputs, custom_parsers=None):
    """Declare the rule's outputs: labels and its two-column scores.

    The rule has no probabilities, so no ZipMap: skl2onnx refuses the
    option ``zipmap=True``, which is registered with the value False only.
    """
    from skl2onnx.common.data_types import DoubleTensorType, guess_tensor_type

    operator = scope.declare_local_operator(_ALIASES[type(model)], model)
    operator.inputs = inputs
    label = scope.declare_local_variable("label", guess_tensor_type(inputs[0].type))
    # The rule computes in float64 whatever the input: so do its scores.
    scores = scope.declare_local_variable("scores", DoubleTensorType())
    operator.outputs.extend([label, scores])
    return operator.outputs


class _Graph:
    """Add nodes and constants to skl2onnx's container, with unique names."""

    def __init__(self, scope, container):
        self.scope = scope
        self.container = container

    def constant(self, name, value):
        from onnx import TensorProto

        value = np.asarray(value)
        if value.dtype.kind in "US":
            proto, content = TensorProto.STRING, [s.encode() for s in value.ravel()]
        else:
            proto = {
                np.dtype(np.float64): TensorProto.DOUBLE,
                np.dtype(np.float32): TensorProto.FLOAT,
                np.dtype(np.int64): TensorProto.INT64,
            }[value.dtype]
            content = value.ravel().tolist()
        unique = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(unique, proto, list(value.shape), content)
        return unique

    def node(self, op_type, inputs, output=None, **attrs):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        name = self.scope.get_unique_operator_name(op_type)
        self.container.add_node(op_type, inputs, output, name=name, **attrs)
        return output

    def column(self, X, j):
        """``X[:, j]``: a 1-D tensor."""
        return self.node("Gather", [X, self.constant("j", np.int64(j))], axis=1)

    def add_all(self, terms):
        """``((t0 + t1) + t2) + ...``, numpy's order in `_linear_scores`."""
        total = terms[0]
        for term in terms[1:]:
            total = self.node("Add", [total, term])
        return total

    def cast(self, X, dtype, output=None):
        from onnx import TensorProto

        to = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
        return self.node("Cast", [X], output, to=to)

    def two_columns(self, negative, positive, dtype, output):
        """Stack two 1-D tensors as the columns of an (n, 2) output."""
        shape = self.constant("shape", np.array([-1, 1], dtype=np.int64))
        columns = [self.node("Reshape", [v, shape]) for v in (negative, positive)]
        both = self.node("Concat", columns, axis=1)
        return self.cast(both, dtype, output)

    def labels(self, model, index, output):
        """``classes_[index]``, the label type skl2onnx declared."""
        # scikit-learn fits no fractional classes (a "continuous" target):
        # numbers are integers, as skl2onnx's int64 label type assumes.
        classes = model.classes_
        if classes.dtype.kind in "USO":
            table = np.array([str(c) for c in classes])
        else:
            table = classes.astype(np.int64)
        index = self.node("Cast", [index], to=_int64())
        return self.node("Gather", [self.constant("classes", table), index], output)


def _int64():
    from onnx import TensorProto

    return TensorProto.INT64


def _input_dtype(operator):
    from skl2onnx.common.data_types import DoubleTensorType

    is_double = isinstance(operator.inputs[0].type, DoubleTensorType)
    return np.dtype(np.float64 if is_double else np.float32)


def _convert_fusion(scope, operator, container):
    """``sigmoid(x @ coef_.T + intercept_)``, summed as `_linear_scores` sums."""
    model, graph = operator.raw_operator, _Graph(scope, container)
    out_dtype = _input_dtype(operator)
    dtype = np.result_type(out_dtype, model.coef_.dtype)
    X = graph.cast(operator.inputs[0].full_name, dtype)
    weights = model.coef_.astype(dtype)[0]
    products = graph.node("Mul", [X, graph.constant("coef", weights[None, :])])
    terms = [graph.column(products, j) for j in range(weights.size)]
    terms.append(graph.constant("intercept", model.intercept_.astype(dtype)[0]))
    decision = graph.add_all(terms)
    positive = graph.node("Greater", [decision, graph.constant("zero", dtype.type(0))])
    graph.labels(model, positive, operator.outputs[0].full_name)
    p_positive = graph.node("Sigmoid", [decision])
    p_negative = graph.node("Sigmoid", [graph.node("Neg", [decision])])
    graph.two_columns(p_negative, p_positive, out_dtype, operator.outputs[1].full_name)


def _convert_margin(scope, operator, container):
    """``d = null - span - best_threshold_``, `pos_label` where ``d > 0``."""
    model, graph = operator.raw_operator, _Graph(scope, container)
    X = graph.cast(operator.inputs[0].full_name, np.float64)
    n_features = model.n_features_in_
    names = getattr(model, "feature_names_in_", None)

    def total(name, spec):
        positions = _column_positions(name, spec, n_features, names)
        return graph.add_all([graph.column(X, j) for j in positions])

    margin = total("null_column", model.null_column)
    if model.span_column is not None:
        margin = graph.node("Sub", [margin, total("span_column", model.span_column)])
    threshold = graph.constant("threshold", np.float64(model.best_threshold_))
    d = graph.node("Sub", [margin, threshold])
    above = graph.node("Greater", [d, graph.constant("zero", np.float64(0))])
    if model._positive_label(model.classes_) == model.classes_[1]:
        decision, index = d, above
    else:
        decision, index = graph.node("Neg", [d]), graph.node("Not", [above])
    graph.labels(model, index, operator.outputs[0].full_name)
    negative = graph.node("Neg", [decision])
    graph.two_columns(negative, decision, np.float64, operator.outputs[1].full_name)
