"""Live convolution: edit a 3×3 or 5×5 kernel, see it applied to a photo, click a pixel to see why.

Slides "Convolution Neural Networks", "CNN Filter", "CNN Diagram" (2016) and "Play with a Filter" (2017).
Options: ``preset`` (e.g. ``sharpen``), ``size`` (3 or 5), ``sample`` (a sample photo name),
``width`` (working width in pixels, default 300), ``stride``, ``padding``, ``dilation`` (starting values).
"""
from __future__ import annotations

import streamlit as st

from demos.kit.options import choice, declare, integer, text

OKABE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]


def _image_fig(arr, title, height, patch=None, pixel=None, clickable=False):
    import numpy as np
    import plotly.express as px
    import plotly.graph_objects as go

    if clickable:
        # Plotly reports clicks only on point traces, not on images: lay a grid of invisible markers
        # over the picture (every pixel, or every n-th on big outputs) so a click names a pixel.
        fig = px.imshow(arr, binary_string=True, binary_compression_level=1)
        fig.update_traces(hoverinfo="skip", hovertemplate=None)
        h, w = arr.shape[:2]
        step = max(1, int(np.ceil(np.sqrt(h * w / 12000))))
        rr, cc = np.mgrid[0:h:step, 0:w:step]
        fig.add_trace(go.Scatter(x=cc.ravel().astype(np.int32), y=rr.ravel().astype(np.int32), mode="markers",
                                 marker=dict(size=max(4, step * 2), opacity=0), showlegend=False,
                                 hovertemplate="row %{y}, col %{x}<extra>click to explain</extra>"))
        fig.update_xaxes(range=[-0.5, w - 0.5], showgrid=False, zeroline=False)
        fig.update_yaxes(range=[h - 0.5, -0.5], showgrid=False, zeroline=False)
    else:
        fig = px.imshow(arr, binary_string=True, binary_compression_level=1)
    fig.update_layout(title=title, height=height, margin=dict(l=0, r=0, t=30, b=0), dragmode=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    if patch is not None:  # (r0, r1, c0, c1) in pixel coordinates: the input window
        r0, r1, c0, c1 = patch
        fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                      line=dict(color=OKABE[0], width=2))
    if pixel is not None:
        r, c = pixel
        fig.add_shape(type="rect", x0=c - 1.5, x1=c + 1.5, y0=r - 1.5, y1=r + 1.5, line=dict(color=OKABE[0], width=2))
    return fig


def _grid_fig(values, title, fmt, grey=False, height: int = 230):
    import numpy as np
    import plotly.graph_objects as go

    v = np.asarray(values, dtype=float)
    lim = float(np.abs(v).max()) or 1.0
    scale = dict(colorscale="gray", zmin=0, zmax=255) if grey else dict(colorscale="RdBu", zmin=-lim, zmax=lim)
    fig = go.Figure(go.Heatmap(z=v, text=[[fmt.format(x) for x in row] for row in v], texttemplate="%{text}",
                               textfont=dict(size=16 if len(v) <= 3 else 12), showscale=False, hoverinfo="skip",
                               **scale))
    fig.update_layout(title=title, height=height, margin=dict(l=0, r=0, t=30, b=0))
    fig.update_yaxes(autorange="reversed", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    return fig


# preset: a kernel of the chosen size's table (else its first); padding: 0-8, by default what keeps the size.
OPTIONS = declare(preset=text("sharpen"), size=choice(("3", "5"), "3"), sample=text("cat (Chelsea)"),
                  width=integer(300, 32, 800), stride=integer(1, 1, 8), padding=text(""), dilation=integer(1, 1, 6))


def render(key_prefix: str = "convolution", stage=None, **options: str) -> None:
    """The input and output pictures and the sum behind one output pixel in ``stage.visual``; the preset
    in ``stage.controls``; the photo, kernel size and weights, stride, padding, dilation, display, the
    output-size formula and the pixel picker in ``stage.more``."""
    import numpy as np
    import pandas as pd

    from deck.stage import default_stage
    from demos.kit.images import image_input
    from models.vision import conv

    stage = stage or default_stage()
    present = stage.present
    kp = key_prefix
    o = OPTIONS.parse(options)
    work_w = o.width
    with stage.more:
        c0 = st.columns(2)
    with c0[0]:
        img = image_input(kp, default_sample=o.sample, max_side=work_w)
        k_size = st.radio("Kernel size", [3, 5], index=1 if o.size == "5" else 0, horizontal=True,
                          key=f"{kp}_ksize", format_func=lambda n: f"{n}×{n}",
                          help="A 5×5 kernel looks at a wider neighbourhood than a 3×3 one.")
        table = conv.PRESETS_3 if k_size == 3 else conv.PRESETS_5
        names = list(table)
        pick = stage.controls.selectbox("Preset", names, index=names.index(o.preset) if o.preset in names else 0,
                            key=f"{kp}_preset_{k_size}", help="Start from a classic kernel, then edit the numbers.")
    with c0[1]:
        df = pd.DataFrame(np.round(conv.preset(pick, k_size), 4), columns=[str(i) for i in range(k_size)])
        st.caption("Kernel weights: click a cell and type any number.")
        edited = st.data_editor(df, key=f"{kp}_kernel_{k_size}_{pick}", hide_index=True, width="stretch")
        kernel = np.nan_to_num(edited.to_numpy(dtype=float, na_value=0.0))
        c1, c2, c3 = st.columns(3)
        dil0 = o.dilation
        stride = c1.number_input("Stride", 1, 8, o.stride, key=f"{kp}_stride",
                                 help="Step between kernel positions.")
        padding = c2.number_input("Padding", 0, 8, integer(dil0 * (k_size - 1) // 2, 0, 8).parse(o.padding),
                                  key=f"{kp}_padding", help="Rows/columns of zeros added around the image.")
        dilation = c3.number_input("Dilation", 1, 6, dil0, key=f"{kp}_dilation",
                                   help="Gap between the kernel's taps (1 = no gap).")
        colour = st.toggle("Colour (filter R, G, B separately)", False, key=f"{kp}_colour",
                           help="Off: the photo is first turned to grey, as setosa's explainer does.")
        modes = {"clip": "clip to 0–255", "abs": "absolute value", "shift": "add 128", "stretch": "stretch min–max"}
        mode = st.selectbox("Show output as", list(modes), index=list(modes).index(conv.default_display(pick)),
                            format_func=modes.get, key=f"{kp}_display_{pick}",
                            help="Filters can output negative numbers or values above 255; pick how to show them.")
    if img is None:
        stage.visual.caption("No picture to filter: pick or upload one under More settings.")
        return
    x = img.array.astype(np.float64) if colour else conv.to_grey(img.array)
    h, w = x.shape[:2]
    out = conv.conv2d(x, kernel, stride, padding, dilation)
    oh, ow = out.shape[:2]
    span = dilation * (k_size - 1) + 1
    stage.more.markdown(
        f"**Output size** = ⌊(n + 2·padding − dilation·(k−1) − 1) / stride⌋ + 1 → "
        f"rows ⌊({h} + {2 * padding} − {dilation * (k_size - 1)} − 1) / {stride}⌋ + 1 = **{oh}**, "
        f"columns ⌊({w} + {2 * padding} − {dilation * (k_size - 1)} − 1) / {stride}⌋ + 1 = **{ow}** "
        f"(input {h}×{w}; the dilated kernel spans {span}×{span} pixels)."
    )
    visual = stage.visual
    if present:
        visual.markdown(f"input {h}×{w} → output **{oh}×{ow}** · {k_size}×{k_size} kernel, stride {stride}, "
                        f"padding {padding}, dilation {dilation}")
    if oh == 0 or ow == 0:
        visual.warning("The kernel (with this dilation) is larger than the padded image: no output. "
                       "Add padding or reduce dilation.")
        return
    # the pixel to explain: chosen by clicking the output image, or by the two number inputs
    rk, ck = f"{kp}_row", f"{kp}_col"
    for k_, n_ in ((rk, oh), (ck, ow)):
        if k_ not in st.session_state or st.session_state[k_] >= n_:
            st.session_state[k_] = n_ // 2

    def _clicked():
        sel = st.session_state.get(f"{kp}_out_chart")
        pts = (sel or {}).get("selection", {}).get("points", []) if sel else []
        if pts:
            st.session_state[rk] = int(min(max(round(pts[0].get("y", 0)), 0), oh - 1))
            st.session_state[ck] = int(min(max(round(pts[0].get("x", 0)), 0), ow - 1))

    with stage.more:
        st.caption("Click a pixel of the output (or type its row and column) to see the sum that made it.")
        n1, n2 = st.columns(2)
        n1.number_input("Output row", 0, oh - 1, key=rk, help="Row of the output pixel to explain.")
        n2.number_input("Output column", 0, ow - 1, key=ck, help="Column of the output pixel to explain.")
    row, col = st.session_state[rk], st.session_state[ck]
    ex_channel = 0
    ex = conv.explain_pixel(x[..., ex_channel] if colour else x, kernel, row, col, stride, padding, dilation)
    shown = conv.to_display(out, mode)
    with visual:
        i1, i2 = st.columns(2)
        ph = stage.height(270, 300)
        patch_box = (ex.rows[0], ex.rows[-1], ex.cols[0], ex.cols[-1])
        i1.plotly_chart(_image_fig(x.astype(np.uint8) if colour else np.round(x).astype(np.uint8), "input", ph,
                                   patch=patch_box), key=f"{kp}_in_chart", config={"displayModeBar": False})
        i2.plotly_chart(_image_fig(shown, f"output ({pick if np.allclose(kernel, conv.preset(pick, k_size)) else 'edited'})",
                                   ph, pixel=(row, col), clickable=True), key=f"{kp}_out_chart", on_select=_clicked,
                        selection_mode="points", config={"displayModeBar": False})
        fmt = "{:.0f}"
        kfmt = "{:.2f}" if not np.allclose(kernel, np.round(kernel)) else "{:.0f}"
        g1, g2, g3 = st.columns(3)
        chan = " (red channel)" if colour else ""
        gh = stage.height(175, 230)
        g1.plotly_chart(_grid_fig(ex.patch, f"input patch{chan}", fmt, grey=True, height=gh), key=f"{kp}_patch_chart",
                        config={"displayModeBar": False})
        g2.plotly_chart(_grid_fig(kernel, "× kernel", kfmt, height=gh), key=f"{kp}_kernel_chart",
                        config={"displayModeBar": False})
        g3.plotly_chart(_grid_fig(ex.products, "= products", "{:.1f}", height=gh), key=f"{kp}_products_chart",
                        config={"displayModeBar": False})
        value = out[row, col, ex_channel] if colour else out[row, col]
        shown_v = shown[row, col, ex_channel] if colour else shown[row, col]
        padded = int(((ex.rows[:, None] < 0) | (ex.rows[:, None] >= h) | (ex.cols[None] < 0) | (ex.cols[None] >= w)).sum())
        st.markdown(
            f"Output pixel (row {row}, column {col}) = sum of the {k_size * k_size} products = **{ex.total:.2f}**"
            f" (computed by the full filter: {value:.2f}) → shown as **{shown_v}** ({modes[mode]}). "
            f"The kernel covers input rows {ex.rows[0]}…{ex.rows[-1]}, columns {ex.cols[0]}…{ex.cols[-1]}"
            + (f"; {padded} of its taps fall on zero padding." if padded else ".")
        )
