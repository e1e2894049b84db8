"""Training on real FER2013 faces: learning, repeatable resume, transfer learning, ONNX export."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from rich.console import Console
from typer.testing import CliRunner

from emolens.data import load_dataset
from emolens.errors import ConfigError, ModelFileError
from emolens.export import CALIBRATION_METHODS, PRIOR_TAUS, export_checkpoint
from emolens.models.layers import InputRangeAdapter
from emolens.reports.model_card import _cost_line, _export_options, run_chain, write_model_card
from emolens.runtime.classifier import EmotionClassifier
from emolens.training import TrainConfig, Trainer, load_model, slim_checkpoint, train
from emolens.training.augment import AugmentConfig
from emolens.training.checkpoint import RESUME_KEYS, read_checkpoint
from emolens.training.init import head_keys, load_with_head
from emolens.training.trainer import network_input

QUIET = Console(file=open("/dev/null", "w"))  # noqa: PTH123, SIM115
#: So few faces need lighter augmentation than the full set's default to learn in a few epochs.
LIGHT = AugmentConfig(rotate=5, scale=0.05, shift=0.05, brightness=0.1, contrast=0.1, gamma=0, blur=0, noise=0, erase=0)


def val_input(dataset, state: dict) -> torch.Tensor:
    """All PublicTest faces as a checkpoint's network takes them, with the mean and std it carries."""
    config = state["model_config"]
    return network_input(dataset.split("val").images, config["mean"], config["std"])


@pytest.fixture(scope="session")
def fer_full(fer_root: Path):
    return load_dataset(fer_root)


@pytest.fixture(scope="session")
def trained(fer_full, tmp_path_factory: pytest.TempPathFactory):
    """A resnet-s trained for 6 epochs on 4,000 Training faces, validated on all of PublicTest.

    So few faces need lighter augmentation than the full set's default to learn in 6 epochs (measured:
    39.5% against 26.3% PublicTest with the default)."""
    run = tmp_path_factory.mktemp("run")
    config = TrainConfig(
        run_dir=str(run), model="resnet-s", epochs=6, max_train=4000, batch_size=64, seed=1, lr=3e-3, warmup_epochs=1,
        augment=LIGHT,
    )  # fmt: skip
    return train(config, dataset=fer_full, console=QUIET)


def test_short_training_beats_chance_on_held_out_faces(trained, fer_full) -> None:
    val = fer_full.split("val")
    majority = np.bincount(val.labels).max() / len(val)
    assert trained.best_val_acc > majority + 0.04, (trained.best_val_acc, majority)
    run = trained.run_dir
    for name in ("config.json", "metrics.json", "metrics.csv", "curves.png", "best.pt", "last.pt", "summary.json"):
        assert (run / name).exists(), name
    assert [h["epoch"] for h in trained.history] == [1, 2, 3, 4, 5, 6]


def test_resume_after_a_crash_gives_the_same_weights(fer_full, tmp_path: Path) -> None:
    config = TrainConfig(run_dir=str(tmp_path / "a"), model="seed-cnn", epochs=2, max_train=300, seed=3)
    straight = train(config, dataset=fer_full, console=QUIET)

    crashed = TrainConfig(run_dir=str(tmp_path / "b"), model="seed-cnn", epochs=2, max_train=300, seed=3)
    trainer = Trainer(crashed, console=QUIET)
    original = trainer._train_epoch
    calls = {"n": 0}

    def crash_on_second_epoch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    trainer._train_epoch = crash_on_second_epoch  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(fer_full)
    stopped = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert (stopped["epochs"], stopped["planned_epochs"]) == (1, 2) and stopped["wall_seconds"] > 0
    assert "for 1 of 2 epochs (stopped) (best epoch 1)" in _cost_line(stopped, "")
    resumed = Trainer(crashed, console=QUIET).fit(fer_full, resume=True)
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    a, _ = load_model(straight.run_dir / "last.pt")
    b, _ = load_model(resumed.run_dir / "last.pt")
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert resumed.history[-1]["val_acc"] == straight.history[-1]["val_acc"]


def test_transfer_learning_rebuilds_the_head_and_keeps_shared_classes(
    trained, fer_subset: Path, tmp_path: Path
) -> None:
    _model, state = load_model(trained.best_checkpoint)
    classes = ("happy", "sad", "thumbs")
    from emolens.models import create_model

    new = create_model("resnet-s", num_classes=3)
    load_with_head(new, state, classes, QUIET)
    weight_key = head_keys(new)[0]
    old = state["model"][weight_key]
    assert torch.equal(new.state_dict()[weight_key][0], old[state["classes"].index("happy")])
    assert torch.equal(new.state_dict()[weight_key][1], old[state["classes"].index("sad")])

    folder = tmp_path / "mine"  # a user's folder: class sub-folders, no split in the file names
    for name, source in (("happy", "happy"), ("sad", "sad"), ("thumbs", "surprise")):
        (folder / name).mkdir(parents=True)
        for i, face in enumerate(sorted((fer_subset / "train" / source).glob("*.jpg"))):
            shutil.copy(face, folder / name / f"face_{i:03d}.jpg")
    config = TrainConfig(
        run_dir=str(tmp_path / "ft"), init=str(trained.best_checkpoint), data=str(folder), epochs=1, batch_size=16
    )
    result = train(config, console=QUIET)
    _tuned, tuned_state = load_model(result.best_checkpoint)
    assert tuned_state["classes"] == list(classes)
    assert tuned_state["model_config"]["name"] == "resnet-s"  # no --model: the init checkpoint's architecture
    pooled = train(replace(config, run_dir=str(tmp_path / "ft24"), model="resnet-s24"), console=QUIET)
    assert load_model(pooled.best_checkpoint)[1]["model_config"]["name"] == "resnet-s24"
    with pytest.raises(ModelFileError, match="do not fit"):
        train(replace(config, run_dir=str(tmp_path / "cnn"), model="seed-cnn"), console=QUIET)
    exported = export_checkpoint(
        result.best_checkpoint, tmp_path / "ft.onnx", data=folder, tta=False, detector_crops=False
    )
    card = write_model_card(exported, result.best_checkpoint, data=folder).read_text()
    first, second = (line for line in card.splitlines() if line.startswith("emolens train"))
    assert f"--run-dir {trained.run_dir}" in first and "--init" not in first
    assert f"--run-dir {tmp_path / 'ft'}" in second and f"--init {trained.best_checkpoint}" in second
    assert card.count("epochs (best epoch") == 2 and "| thumbs |" in card


@pytest.fixture(scope="session")
def exported(trained, fer_full, tmp_path_factory: pytest.TempPathFactory):
    """The trained model exported once in fp32 (no detector crops: no test reads them)."""
    out = tmp_path_factory.mktemp("export") / "m.onnx"
    return export_checkpoint(trained.best_checkpoint, out, data=fer_full.root, tta=False, detector_crops=False)


def test_the_card_chain_lists_every_run_behind_the_weights_once(tmp_path: Path) -> None:
    """A distilled run's card replays its init's runs and its teachers' runs, each once, before it."""

    def run(name: str, init: str | None = None, teachers: tuple[str, ...] = ()) -> str:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"run_dir": str(folder), "init": init, "teachers": teachers}))
        return str(folder / "best.pt")

    base = run("base")
    cont = run("cont", init=base)
    kd = run("kd", init=cont, teachers=(cont, base))
    wide = run("wide")
    unknown = str(tmp_path / "elsewhere" / "weights.pt")  # no run folder: nothing to replay
    run("mkd", init=kd, teachers=(wide, kd, unknown))
    names = [folder.name for folder, _, _ in run_chain(tmp_path / "mkd")]
    assert names == ["base", "cont", "kd", "wide", "mkd"]
    run("self", teachers=(str(tmp_path / "self" / "best.pt"),))
    assert [folder.name for folder, _, _ in run_chain(tmp_path / "self")] == ["self"]


def test_onnx_matches_pytorch_on_real_faces_and_carries_its_metadata(trained, exported, fer_full) -> None:
    result = exported
    meta = result.metadata
    assert meta.classes == fer_full.classes and meta.input_size == 48 and meta.precision == "fp32"
    assert 0.3 < meta.temperature < 5 and meta.training["labels"] == "dataset"
    assert set(meta.metrics) == {"val", "test"}
    faces = fer_full.split("test").images[:64]
    faces[:8] //= 4  # dark faces, for the input-range adapter to bring back into the training range
    network, _ = load_model(trained.best_checkpoint)
    adapter = InputRangeAdapter.from_grey(meta.input_range, meta.mean, meta.std)
    assert 50 < meta.input_range["low"] < 128 < meta.input_range["high"] < 210 and meta.input_range["min_std"] > 10
    with torch.no_grad():
        x = network_input(faces, meta.mean, meta.std)
        expected = network(adapter(x)).numpy()
    got = EmotionClassifier(result.path).logits(faces)
    assert np.abs(got - expected).max() < 1e-3
    assert meta.metrics["val"]["accuracy"] == pytest.approx(result.reports[0].accuracy)


@pytest.mark.parametrize("method", list(CALIBRATION_METHODS))
def test_int8_export_agrees_with_fp32(trained, exported, fer_full, tmp_path: Path, method: str) -> None:
    fp32 = exported
    int8 = export_checkpoint(
        trained.best_checkpoint,
        tmp_path / "q.onnx",
        data=fer_full.root,
        quantize="int8",
        calibration_size=250,  # a stratified sample of 250 is not a whole number of 64-face batches
        calibration_method=method,
        tta=False,
        detector_crops=False,
    )
    faces = fer_full.split("val").images[:500]
    agree = (
        EmotionClassifier(fp32.path).logits(faces).argmax(1) == EmotionClassifier(int8.path).logits(faces).argmax(1)
    ).mean()
    assert agree > 0.9
    assert int8.metadata.precision == "int8" and int8.metadata.training["calibration_faces"] == 250
    assert int8.metadata.training["calibration_method"] == method
    assert int8.path.stat().st_size < fp32.path.stat().st_size


def test_an_unknown_calibration_method_is_refused_before_any_work(trained, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="calibration_method must be one of minmax, percentile, entropy, got 'kl'"):
        export_checkpoint(trained.best_checkpoint, tmp_path / "q.onnx", quantize="int8", calibration_method="kl")
    assert not (tmp_path / "q.onnx").exists()


def test_prior_correction_trades_accuracy_for_recall_of_rare_classes(trained, exported, fer_full, tmp_path) -> None:
    val = fer_full.split("val")
    disgust = fer_full.classes.index("disgust")
    plain = EmotionClassifier(exported.path).logits(val.images).argmax(1)
    strong = export_checkpoint(
        trained.best_checkpoint, tmp_path / "s.onnx", data=fer_full.root, tta=False, detector_crops=False,
        prior_correction=1.0,
    )  # fmt: skip
    adjusted = EmotionClassifier(strong.path).logits(val.images).argmax(1)
    assert (adjusted == disgust).sum() > (plain == disgust).sum() and strong.metadata.training["prior_correction"] == 1
    auto = export_checkpoint(
        trained.best_checkpoint, tmp_path / "a.onnx", data=fer_full.root, tta=False, detector_crops=False,
        prior_correction="auto",
    )  # fmt: skip
    assert auto.metadata.training["prior_correction"] in PRIOR_TAUS
    assert auto.metadata.metrics["val"]["accuracy"] >= exported.metadata.metrics["val"]["accuracy"] - 0.011
    with pytest.raises(ConfigError, match="prior_correction"):
        export_checkpoint(trained.best_checkpoint, tmp_path / "x.onnx", data=fer_full.root, prior_correction=-1)


def test_a_class_bias_is_added_to_that_class_s_logit(trained, exported, fer_full, tmp_path: Path) -> None:
    val = fer_full.split("val")
    fear = fer_full.classes.index("fear")
    plain = EmotionClassifier(exported.path).logits(val.images)
    biased = export_checkpoint(
        trained.best_checkpoint, tmp_path / "b.onnx", data=fer_full.root, tta=False, detector_crops=False,
        class_bias={"fear": 0.5},
    )  # fmt: skip
    logits = EmotionClassifier(biased.path).logits(val.images)
    expected = plain.copy()
    expected[:, fear] += 0.5
    assert np.abs(logits - expected).max() < 1e-3
    assert (logits.argmax(1) == fear).sum() > (plain.argmax(1) == fear).sum()
    assert biased.metadata.training["class_bias"] == {"fear": 0.5}
    with pytest.raises(ConfigError, match=r"class_bias names contempt, not among this model's classes \(angry"):
        export_checkpoint(trained.best_checkpoint, tmp_path / "x.onnx", class_bias={"contempt": 1.0})


def test_the_card_s_export_command_gives_back_the_export_s_settings(monkeypatch, exported, tmp_path: Path) -> None:
    import emolens.export
    from emolens.cli import app

    training = {"prior_correction": 0.25, "class_bias": {"fear": 0.3, "sad": -0.1}}
    training |= {"calibration_method": "percentile", "calibration_faces": 4096}
    meta = replace(exported.metadata, precision="int8", training=training)
    seen: list[dict] = []

    def record(checkpoint: str, out: str, **options: object) -> object:
        seen.append(options)
        raise ConfigError("stop here")

    monkeypatch.setattr(emolens.export, "export_checkpoint", record)
    result = CliRunner().invoke(
        app, ["export", "best.pt", "--out", str(tmp_path / "m.onnx"), *" ".join(_export_options(meta)).split()]
    )
    assert "stop here" in result.output, result.output
    assert {k: seen[0][k] for k in ("quantize", "prior_correction", "class_bias", "calibration_method")} == {
        "quantize": "int8", "prior_correction": 0.25, "class_bias": {"fear": 0.3, "sad": -0.1},
        "calibration_method": "percentile",
    }  # fmt: skip
    assert seen[0]["calibration_size"] == 4096
    bad = CliRunner().invoke(app, ["export", "best.pt", "--class-bias", "fear"])
    assert bad.exit_code == 2 and "expected CLASS=AMOUNT (fear=0.3), got 'fear'" in bad.output


def test_wrong_model_files_are_clear_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.onnx"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match=r"notes\.onnx: not a loadable ONNX model"):
        EmotionClassifier(text).metadata  # noqa: B018
    foreign = tmp_path / "foreign.onnx"
    graph = onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])], "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )  # fmt: skip
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 18)], ir_version=10)
    onnx.save(model, foreign)
    with pytest.raises(ModelFileError, match="not an emolens model"):
        EmotionClassifier(foreign).metadata  # noqa: B018
    with pytest.raises(ModelFileError, match="no such model file"):
        EmotionClassifier(tmp_path / "missing.onnx").metadata  # noqa: B018
    with pytest.raises(ModelFileError, match=r"not an emolens checkpoint|not a PyTorch checkpoint"):
        load_model(text)


class _Payload:
    """Pickled, it asks the unpickler to call ``Path.touch`` on a marker file: code that loading would run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return Path.touch, (self.marker,)


def test_a_checkpoint_carrying_a_pickle_payload_is_refused_and_nothing_in_it_runs(tmp_path: Path) -> None:
    from emolens.cli import app

    marker = tmp_path / "ran"
    crafted = tmp_path / "crafted.pt"
    torch.save({"format": "emolens-checkpoint", "model": {}, "payload": _Payload(marker)}, crafted)
    with pytest.raises(ModelFileError, match=r"crafted\.pt: refused: .* asks for "):
        load_model(crafted)
    for args in (["export", str(crafted), "--out", str(tmp_path / "m.onnx")], ["train", "--init", str(crafted)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "refused" in result.output and "Traceback" not in result.output, args
    assert not marker.exists()


def test_export_refuses_an_empty_calibration_sample(trained, tmp_path: Path) -> None:
    from emolens.cli import app

    args = ["export", str(trained.best_checkpoint), "--out", str(tmp_path / "m.onnx"), "--quantize", "int8"]
    result = CliRunner().invoke(app, [*args, "--calibration-size", "0"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "calibration_size must be at least 1 training face, got 0" in result.output
    assert not (tmp_path / "m.onnx").exists()


def test_distillation_loss_by_hand() -> None:
    from emolens.training.trainer import distillation_loss

    teacher = torch.tensor([[0.7, 0.2, 0.1]])
    same = torch.log(teacher) * 2.0  # logits whose softmax at T=2 is the teacher's distribution
    assert distillation_loss(same, teacher, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    uniform = torch.zeros(1, 3)
    expected = 4.0 * float((teacher * (teacher.log() - torch.log(torch.tensor(1 / 3)))).sum())
    assert distillation_loss(uniform, teacher, 2.0).item() == pytest.approx(expected, rel=1e-5)


def test_a_student_learns_from_a_teacher_checkpoint(trained, fer_full, fer_subset: Path, tmp_path: Path) -> None:
    """With the labels' weight at 0, the student learns from the teacher's soft predictions alone: on
    held-out faces it must follow the teacher far more often than the teacher's commonest answer does,
    and beat the majority class."""
    config = TrainConfig(
        run_dir=str(tmp_path / "kd"), model="resnet-s24", epochs=3, max_train=3000, batch_size=64, seed=2,
        warmup_epochs=1, augment=LIGHT, teachers=(str(trained.best_checkpoint),), kd_weight=1.0,
    )  # fmt: skip
    result = train(config, dataset=fer_full, console=QUIET)
    student, state = load_model(result.best_checkpoint)
    assert state["config"]["teachers"] == [str(trained.best_checkpoint)]
    teacher, _ = load_model(trained.best_checkpoint)
    val = fer_full.split("val")
    x = val_input(fer_full, state)
    with torch.no_grad():
        taught, own = teacher(x).argmax(1).numpy(), student(x).argmax(1).numpy()
    commonest = np.bincount(taught).max() / len(taught)
    agreement = (taught == own).mean()
    assert agreement > commonest + 0.1, (agreement, commonest)
    assert result.best_val_acc > np.bincount(val.labels).max() / len(val) + 0.03
    subset = load_dataset(fer_subset).relabel(["happy", "sad", "angry", "fear", "disgust", "neutral", "surprise"])
    with pytest.raises(ConfigError, match="teacher classes"):
        train(
            TrainConfig(run_dir=str(tmp_path / "bad"), epochs=1, teachers=(str(trained.best_checkpoint),)),
            dataset=subset,
            console=QUIET,
        )


def test_a_slim_checkpoint_is_half_the_bytes_and_answers_as_the_full_one(trained, fer_full, tmp_path: Path) -> None:
    slim = slim_checkpoint(trained.best_checkpoint, tmp_path / "slim.pt")
    assert slim.stat().st_size < 0.55 * trained.best_checkpoint.stat().st_size
    full, _ = load_model(trained.best_checkpoint)
    half, state = load_model(slim)
    assert not set(RESUME_KEYS) & state.keys() and state["model_config"]["name"] == "resnet-s"
    x = val_input(fer_full, state)
    with torch.no_grad():
        agreement = (full(x).argmax(1) == half(x).argmax(1)).float().mean().item()
    assert agreement > 0.99, agreement


def test_models_slim_command_writes_the_file_and_names_a_missing_one(trained, tmp_path: Path) -> None:
    from emolens.cli import app

    out = tmp_path / "weights" / "mine.pt"
    result = CliRunner().invoke(app, ["models", "slim", str(trained.best_checkpoint), "--out", str(out)])
    assert result.exit_code == 0 and f"wrote {out}" in result.output, result.output
    assert load_model(out)[1]["classes"] == load_model(trained.best_checkpoint)[1]["classes"]
    missing = CliRunner().invoke(app, ["models", "slim", str(tmp_path / "gone.pt"), "--out", str(out)])
    assert missing.exit_code == 2 and "gone.pt: no such checkpoint" in missing.output, missing.output


def test_a_slim_last_checkpoint_keeps_the_ema_weights_its_run_scored(fer_full, tmp_path: Path) -> None:
    config = TrainConfig(
        run_dir=str(tmp_path / "ema"), model="resnet-s24", epochs=1, max_train=1024, batch_size=64, seed=3,
        ema_decay=0.9, precision="fp32", augment=LIGHT,
    )  # fmt: skip
    run = train(config, dataset=fer_full, console=QUIET)
    last = read_checkpoint(run.run_dir / "last.pt")
    network, state = load_model(slim_checkpoint(run.run_dir / "last.pt", tmp_path / "last.pt", half=False))
    kept = state["model"]
    assert all(torch.equal(kept[k], last["ema"][f"module.{k}"]) for k in kept)
    assert not all(torch.equal(kept[k], last["model"][k]) for k in kept)  # the raw weights differ
    with torch.no_grad():
        accuracy = (network(val_input(fer_full, state)).argmax(1).numpy() == fer_full.split("val").labels).mean()
    assert accuracy == pytest.approx(run.history[-1]["val_acc"], abs=1e-3)


def test_mirrored_teachers_give_a_face_and_its_mirror_the_same_target(trained, fer_full, tmp_path: Path) -> None:
    """With ``kd_mirror`` the teachers' target is the mean of their answers for the batch and for its mirror
    image: one target for a face and its mirror, halfway between the two plain answers."""
    answers = {}
    for mirror in (False, True):
        config = TrainConfig(
            run_dir=str(tmp_path / f"mirror-{mirror}"), max_train=300, teachers=(str(trained.best_checkpoint),),
            kd_mirror=mirror,
        )  # fmt: skip
        trainer = Trainer(config, console=QUIET)
        trainer._build(fer_full)
        x = trainer._prepare(trainer.train_x[:32], augment=False)
        answers[mirror] = trainer.teacher_probs(x), trainer.teacher_probs(x.flip(3))
    plain, flipped = answers[False]
    assert (plain - flipped).abs().max() > 0.01  # the teacher is not mirror-symmetric by itself
    torch.testing.assert_close(answers[True][0], answers[True][1])
    torch.testing.assert_close(answers[True][0], (plain + flipped) / 2)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"rotate": -5}, "rotate must be >= 0"),
        ({"erase": 1.5}, "erase is a probability"),
        ({"rotate": 200}, "at most 180"),
    ],
)
def test_impossible_augmentation_settings_are_clear_errors(setting: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AugmentConfig(**setting)


def test_train_command_passes_its_augmentation_options_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import emolens.training
    from emolens.cli import app

    seen: list[TrainConfig] = []

    def record(config: TrainConfig, **_: object) -> object:
        seen.append(config)
        raise ConfigError("stop here")

    monkeypatch.setattr(emolens.training, "train", record)
    args = ["train", "--run-dir", str(tmp_path), "--rotate", "30", "--erase", "0.2", "--mixup", "0.4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and "stop here" in result.output
    assert (seen[0].augment.rotate, seen[0].augment.erase, seen[0].augment.mixup) == (30, 0.2, 0.4)
    assert seen[0].augment.flip == AugmentConfig().flip
    refused = CliRunner().invoke(app, ["train", "--run-dir", str(tmp_path), "--rotate", "-1"])
    assert refused.exit_code != 0 and "rotate must be >= 0" in refused.output and "Traceback" not in refused.output
