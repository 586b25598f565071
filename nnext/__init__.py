"""nnext: configurable fully connected neural networks trained by back-propagation.

The public names, also importable from their modules as in the original
program (``nnext.network``, ``nnext.training``):

- `NeuralNetwork`, `serialize_neural_network`, `load_from_file`, `save`, `load`
- `Trainer`, `TrainingDataSample`, `TrainingResult`, `StoppingRule`: the
  original's training algorithm
- `fit`, `History`, `EarlyStopping`, `SGD`, `Momentum`, `Adam`, `RMSprop`: training in
  epochs with modern losses and optimizers
- `ProgressLine`, `RoundInfo`, `EpochInfo`
- `load_mnist`
- `show_config`: what this installation is, for bug reports (also
  ``python -m nnext``)

Modules with optional dependencies, imported only when asked for:
`nnext.sklearn` (scikit-learn's MLP estimators on the core; the "sklearn"
extra) and `nnext.plot` (pictures; the "plot" extra).
"""
from ._version import __version__
from .config import show_config
from .datasets import load_mnist
from .epochs import EarlyStopping, EpochInfo, History, fit
from .io import load, load_from_file, save, serialize_neural_network
from .network import NeuralNetwork
from .optimizers import SGD, Adam, Momentum, RMSprop
from .progress import ProgressLine, RoundInfo
from .training import StoppingRule, Trainer, TrainingDataSample, TrainingResult

__all__ = [
    "NeuralNetwork", "serialize_neural_network", "load_from_file", "save", "load",
    "Trainer", "TrainingDataSample", "TrainingResult", "StoppingRule",
    "fit", "History", "EarlyStopping", "SGD", "Momentum", "Adam", "RMSprop",
    "ProgressLine", "RoundInfo", "EpochInfo", "load_mnist", "show_config",
]
