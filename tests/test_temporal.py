"""Motion-compensated chroma smoothing: no trails behind moving objects, less flicker where still,
a reset at scene cuts, and a warm-up length the smoother reports itself."""
import numpy as np
import pytest
import torch

from colorize_cli.pipeline.temporal import EMASmoother, FlowSmoother, make_smoother, warmup_seconds

H, W, SQ = 72, 96, 16
BG_AB, SQ_AB = (10.0, -20.0), (60.0, 50.0)


def moving_square(frames=24, step=3, flicker=8.0, seed=0):
    """Textured static background (L), a bright square moving right; predicted ab flickers."""
    rng = np.random.default_rng(seed)
    tex = torch.from_numpy(rng.uniform(25, 60, (H, W)).astype(np.float32))
    tex = torch.nn.functional.avg_pool2d(tex[None, None], 3, 1, 1)[0, 0]   # smooth texture: trackable
    Ls, abs_, xs = [], [], []
    for t in range(frames):
        x = 4 + step * t
        L = tex.clone()
        L[28:28 + SQ, x:x + SQ] = 85.0 + (torch.arange(SQ) % 4).float()[None, :] * 2
        ab = torch.empty(2, H, W)
        ab[0], ab[1] = BG_AB
        ab[:, 28:28 + SQ, x:x + SQ] = torch.tensor(SQ_AB)[:, None, None]
        ab = ab + torch.from_numpy(rng.normal(0, flicker, (2, 1, 1)).astype(np.float32))  # per-frame flicker
        Ls.append(L[None])
        abs_.append(ab)
        xs.append(x)
    return torch.stack(Ls), torch.stack(abs_), xs


def call(smoother, L, ab):
    """The smoothers take and give numpy (N, C, h, w); these tests build their frames in torch."""
    return torch.from_numpy(smoother(L.numpy(), ab.numpy()))


def run(smoother, L, ab, batch=5):
    if smoother is None:
        return ab
    return torch.cat([call(smoother, L[i:i + batch], ab[i:i + batch]) for i in range(0, len(L), batch)])


def test_flow_leaves_no_trail_behind_a_moving_square():
    L, ab, xs = moving_square(flicker=0.0)
    out = {"ema": run(EMASmoother(0.6), L, ab), "flow": run(FlowSmoother(0.8), L, ab)}
    t = 12
    # the columns the square covered 2 frames ago and no longer covers: background now
    old = slice(xs[t - 2], xs[t])
    err = {k: float((v[t, :, 30:28 + SQ - 2, old] - torch.tensor(BG_AB)[:, None, None]).abs().mean())
           for k, v in out.items()}
    assert err["flow"] < 3.0, err           # colour back to the background's within two frames
    assert err["ema"] > 3 * err["flow"], err   # the plain average drags the square's colour behind it
    # and the square keeps its own colour where it is now
    inside = out["flow"][t, :, 30:28 + SQ - 2, xs[t] + 2:xs[t] + SQ - 2]
    assert (inside - torch.tensor(SQ_AB)[:, None, None]).abs().mean() < 3.0


def test_flow_reduces_flicker_where_nothing_moves():
    L, ab, _ = moving_square(flicker=8.0)
    static = (slice(None), slice(None), slice(0, 20), slice(None))   # rows the square never enters
    var_off = float(ab[static][6:].var(0).mean())
    var_flow = float(run(FlowSmoother(0.8), L, ab)[static][6:].var(0).mean())
    assert var_flow < 0.4 * var_off, (var_off, var_flow)


def test_flow_resets_at_a_scene_cut():
    L, ab, _ = moving_square(frames=6)
    sm = FlowSmoother(0.8)
    run(sm, L, ab)
    new_L = torch.full((1, 1, H, W), 95.0) - torch.rand(1, 1, H, W)
    new_ab = torch.full((1, 2, H, W), -30.0)
    out = call(sm, new_L, new_ab)
    assert sm.cuts == 1 and torch.equal(out, new_ab)


def test_new_content_takes_the_new_prediction():
    """An object that appears from nowhere gets no weight from the past: its colour is its own."""
    L, ab, _ = moving_square(frames=8, flicker=0.0)
    L2, ab2 = L.clone(), ab.clone()
    L2[7, :, 4:20, 70:90] = 5.0                 # a dark patch appears in the last frame
    ab2[7, :, 4:20, 70:90] = -40.0
    sm = FlowSmoother(0.8)
    out = run(sm, L2, ab2, batch=1)
    assert sm.last_trust[7:17, 73:87].max() < 0.05
    assert (out[7, :, 7:17, 73:87] + 40).abs().max() < 1.0
    assert sm.last_trust[52:70, 3:60].mean() > 0.6    # the still background is trusted


def test_warmup_follows_the_smoother():
    # warmup_seconds is video time (warm-up frames / the film's frame rate), not machine time
    assert make_smoother("off") is None and warmup_seconds("off", None, 25) == 0
    ema, flow = make_smoother("ema", 0.6), make_smoother("flow", 0.8)
    for sm in (ema, flow):   # after warmup_frames the first frame's weight is below 1e-3
        assert sm.strength ** sm.warmup_frames < 1e-3 <= sm.strength ** (sm.warmup_frames - 1)
    assert warmup_seconds("flow", 0.8, 30) == pytest.approx(flow.warmup_frames / 30)
    with pytest.raises(ValueError):
        make_smoother("bogus")
    with pytest.raises(ValueError):
        make_smoother("flow", float("nan"))


def _panning_frames(n=8, flicker=0.0, seed=1):
    """Colour frames of a smooth textured scene panning right by 2 px a frame; optional per-frame
    chroma flicker (a colour cast that changes every frame)."""
    import cv2

    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(rng.uniform(0, 255, (64, 160, 3)).astype(np.float32), (0, 0), 3)
    big = (big - big.min()) / (big.max() - big.min()) * 200 + 20
    frames = []
    for t in range(n):
        f = big[:, 2 * t:2 * t + 96].copy()
        f += rng.normal(0, flicker, 3).astype(np.float32)[None, None]
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return np.stack(frames)


def test_video_metrics_separate_flicker_from_motion():
    from colorize_cli.tools.video_eval import ab_of, cdc, consistent_flows, warp_error

    steady, flickery = _panning_frames(), _panning_frames(flicker=12.0)
    flows = consistent_flows(steady)
    assert all(ok.mean() > 0.5 for _, ok in flows)           # smooth panning: mostly consistent flow
    we_steady, we_flicker = warp_error(ab_of(steady), flows), warp_error(ab_of(flickery), flows)
    assert we_steady < 1.0 and we_flicker > 3 * we_steady, (we_steady, we_flicker)
    same = np.repeat(steady[:1], 6, 0)
    assert cdc(same) == 0 and cdc(same, ab_of(same)) == 0
    assert cdc(flickery, ab_of(flickery)) > cdc(steady, ab_of(steady))


def test_video_colourfulness_is_the_photo_table_colourfulness():
    """ΔCF in the video table and in the photo table must be the same measure."""
    from media import colourful_frame

    from colorize_cli.tools.evaluate import colourfulness
    from colorize_cli.tools.video_eval import _cf

    frames = np.stack([colourful_frame(i, 7, 5) for i in range(3)])   # tiny: N-1 and N differ
    per_frame = [colourfulness(torch.from_numpy(f).permute(2, 0, 1).float()) for f in frames]
    assert np.allclose(_cf(frames), per_frame, rtol=1e-4)
