"""The colour module: Lab L + predicted ab -> the output's codes, for photos and films, on every
engine (the network's small ab comes to the host once per batch; everything after it is here).

  lab      constants and scalar maths (numpy): the one definition, shared with colorspace (torch)
  luma     Y' codes or sRGB codes -> L: the one Y'->L table; L at the chroma sites
  photos   L + ab -> sRGB codes, one gamut rule (a chroma-limit table)
  films    L at the chroma sites + ab -> Cb/Cr code planes, buffers kept per film
  kernels  the compiled fast path of all three (numba, imported only when used; `jit.use()` decides)
  jit      whether the kernels run: the caller's choice, the job's (`choose_for`), else numba present

No torch here: `colorize_cli.colorspace` is the torch maths, used to train and evaluate and as the
tests' reference for this module (within 1 code value).
"""
from colorize_cli.colour.films import ChromaPlanes, cbcr_matrix, chroma_planes
from colorize_cli.colour.luma import L_at, L_table, is_gray, luma_to_L, plane_to_L, rgb_to_L, sites_from_codes
from colorize_cli.colour.photos import chroma_limit_table, lab_to_rgb_gamut, photo_codes

__all__ = ["ChromaPlanes", "cbcr_matrix", "chroma_planes", "L_at", "L_table", "is_gray", "luma_to_L",
           "plane_to_L", "rgb_to_L", "sites_from_codes", "chroma_limit_table", "lab_to_rgb_gamut", "photo_codes"]
