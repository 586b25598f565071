"""Learning-rate schedules: their rates against formulas written out here (and
against PyTorch's schedulers where it is installed), and fit's steps taking
them."""
import math

import numpy as np
import pytest

import nnext
from nnext import schedules
from nnext.optimizers import SGD, Adam


def started(schedule, base=0.1, steps_per_epoch=4, epochs=5):
    schedule.start(base, steps_per_epoch, epochs)
    return schedule


def all_rates(schedule, steps_per_epoch=4, epochs=5):
    return np.concatenate([schedule.rates(e * steps_per_epoch, steps_per_epoch)
                           for e in range(epochs)])


def test_step_and_exponential_decay_by_epoch():
    rates = all_rates(started(schedules.StepDecay(2, gamma=0.5)))
    np.testing.assert_allclose(rates, [0.1] * 8 + [0.05] * 8 + [0.025] * 4)
    rates = all_rates(started(schedules.Exponential(0.9)))
    np.testing.assert_allclose(rates, np.repeat([0.1 * 0.9 ** e for e in range(5)], 4))


def test_cosine_warms_up_linearly_then_decays_to_the_minimum():
    schedule = started(schedules.CosineWithWarmup(warmup_epochs=1, min_rate=0.01))
    rates = all_rates(schedule)
    np.testing.assert_allclose(rates[:4], [0.025, 0.05, 0.075, 0.1])
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * (t - 4) / 15)) / 2 for t in range(4, 20)]
    np.testing.assert_allclose(rates[4:], expected)
    assert rates[4] == pytest.approx(0.1) and rates[-1] == pytest.approx(0.01)


def one_cycle_reference(t, total, peak, pct_start, div, final_div):
    initial, final = peak / div, peak / div / final_div
    up_end, down_end = pct_start * total - 1, total - 1
    if t <= up_end:
        start, end, fraction = initial, peak, t / up_end
    else:
        start, end, fraction = peak, final, (t - up_end) / (down_end - up_end)
    return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)


def test_one_cycle_rises_to_the_peak_then_anneals_to_the_floor():
    rates = all_rates(started(schedules.OneCycle(max_rate=0.5, pct_start=0.25)))
    expected = [one_cycle_reference(t, 20, 0.5, 0.25, 25.0, 1e4) for t in range(20)]
    np.testing.assert_allclose(rates, expected)
    assert rates[0] == pytest.approx(0.02) and max(rates) == pytest.approx(0.5, rel=1e-3)
    assert rates[-1] == pytest.approx(0.5 / 25 / 1e4)


def test_reduce_on_plateau_cuts_the_rate_after_patience_epochs_without_progress():
    schedule = started(schedules.ReduceOnPlateau(factor=0.5, patience=1, threshold=0.01))
    seen = []
    for loss in [1.0, 0.9, 0.895, 0.894, 0.5, 0.6, 0.7, 0.8]:
        seen.append(schedule.rates(0, 1)[0])
        schedule.end_epoch(loss)
    # 0.895 and 0.894 are not 1% below 0.9: after the second of them the
    # rate halves; 0.6 and 0.7 then do not beat 0.5: it halves again.
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])


def test_the_rates_match_pytorchs_schedulers():
    torch = pytest.importorskip("torch")
    steps_per_epoch, epochs = 3, 6
    cases = [
        (schedules.StepDecay(2, 0.3),
         lambda opt: torch.optim.lr_scheduler.StepLR(opt, 2, 0.3), "epoch"),
        (schedules.Exponential(0.8),
         lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.8), "epoch"),
        (schedules.OneCycle(pct_start=0.4),
         lambda opt: torch.optim.lr_scheduler.OneCycleLR(
             opt, 0.1, total_steps=steps_per_epoch * epochs, pct_start=0.4,
             three_phase=False), "step"),
    ]
    for ours, theirs, unit in cases:
        ours.start(0.1, steps_per_epoch, epochs)
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = theirs(optimizer)
        expected = []
        for epoch in range(epochs):
            for _ in range(steps_per_epoch):
                expected.append(optimizer.param_groups[0]["lr"])
                optimizer.step()
                if unit == "step":
                    scheduler.step()
            if unit == "epoch":
                scheduler.step()
        np.testing.assert_allclose(all_rates(ours, steps_per_epoch, epochs), expected,
                                   rtol=1e-12)


def problem(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 5))
    Y = np.eye(3)[rng.integers(0, 3, n)]
    return X, Y


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_fit_takes_each_steps_rate(optimizer):
    # Three epochs of two steps with a schedule give the very bits of six
    # one-step fits at the schedule's rates (the optimizer's state carries on).
    X, Y = problem()
    schedule = schedules.OneCycle(max_rate=0.05, pct_start=0.5)
    net = nnext.NeuralNetwork([5, 4, 3], activations=["tanh", "softmax"], seed=1)
    twin = net.copy()
    history = nnext.fit(net, X, Y, optimizer=optimizer(0.05), batch_size=12, epochs=3,
                        shuffle=False, patience=None, schedule=schedule)
    rates = started(schedules.OneCycle(max_rate=0.05, pct_start=0.5), 0.05, 2, 3).rates(0, 6)
    assert len(set(rates)) == 6
    for step, rate in enumerate(rates):
        half = slice(12 * (step % 2), 12 * (step % 2) + 12)
        nnext.fit(twin, X[half], Y[half], optimizer=optimizer(float(rate)), batch_size=12,
                  epochs=1, shuffle=False, patience=None)
    np.testing.assert_array_equal(net.parameters, twin.parameters)
    np.testing.assert_allclose(history.learning_rate, rates[::2])


def test_fit_without_a_schedule_records_the_optimizers_rate():
    X, Y = problem()
    net = nnext.NeuralNetwork([5, 4, 3], activations=["tanh", "softmax"], seed=1)
    history = nnext.fit(net, X, Y, learning_rate=0.003, epochs=2, patience=None)
    assert history.learning_rate == [0.003, 0.003]


def test_plateau_schedule_reads_the_monitored_loss_in_fit():
    X, Y = problem()
    net = nnext.NeuralNetwork([5, 4, 3], activations=["tanh", "softmax"], seed=1)
    history = nnext.fit(net, X, Y, optimizer=SGD(1e-9), epochs=4, patience=None,
                        schedule=schedules.ReduceOnPlateau(factor=0.5, patience=0))
    # A rate of 1e-9 moves nothing: no epoch improves on the first, so each
    # later one halves the rate.
    np.testing.assert_allclose(history.learning_rate, [1e-9, 1e-9, 5e-10, 2.5e-10])


@pytest.mark.parametrize("call, error, message", [
    (lambda: schedules.schedule("warp"), ValueError, "schedule must be None, one of"),
    (lambda: schedules.schedule("step"), ValueError, "schedule 'step' needs settings"),
    (lambda: schedules.StepDecay(0), ValueError, "step_size must be a positive integer"),
    (lambda: schedules.Exponential(1.5), ValueError, r"gamma must be a number in \(0, 1\]"),
    (lambda: schedules.OneCycle(pct_start=1.0), ValueError, "pct_start must be a number in"),
    (lambda: schedules.OneCycle(div_factor=0.5), ValueError, "div_factor must be a number of"),
    (lambda: schedules.ReduceOnPlateau(factor=1.0), ValueError, "factor must be a number in"),
    (lambda: all_rates(started(schedules.CosineWithWarmup(warmup_epochs=5))), ValueError,
     "leaves no step of the 20 to decay in"),
])
def test_nonsense_settings_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_core_refuses_rates_that_are_not_finite_and_positive():
    X, Y = problem()
    net = nnext.NeuralNetwork([5, 4, 3], activations=["tanh", "softmax"], seed=1)
    before = net.parameters.copy()
    rows = np.arange(len(X), dtype=np.intp)
    with net.engine.training():
        for rates, message in [(np.array([0.1, np.nan]), r"learning_rates\[1\] is nan"),
                               (np.array([0.1, 0.0]), r"learning_rates\[1\] is 0.0"),
                               (np.array([0.1]), r"a rate per batch \(2\); got 1")]:
            with pytest.raises(ValueError, match=message):
                net.engine.train_epoch(X, Y, rows, 12, "cross_entropy", SGD(0.1).settings(),
                                       1, learning_rates=rates)
    np.testing.assert_array_equal(net.parameters, before)
