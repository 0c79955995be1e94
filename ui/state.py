"""Every st.session_state key and URL query parameter that the app's code reads or writes.

One place, so two pages never collide and a hand-off between pages is visible here. A key
belongs to the page its prefix names; the few without a prefix are shared by every page.
Widget keys that only their own widget reads (e.g. "recon_count") stay beside the widget,
named with the same page prefix.
"""

from __future__ import annotations

# --- the URL ------------------------------------------------------------------------------
RUN_PARAM = "run"  # ?run=NAME: the checkpoint (read once per new value, written back)
Z_PARAM = "z"  # ?z=0.1,-0.5: the Decoder page's latent point
VIEW_PARAM = "view"  # ?view=Map: the Latent page's open view (also its tabs' widget key)
VS_PARAM = "vs"  # ?vs=NAME: the Compare page's right-hand model
LESSON_PARAM = "lesson"  # ?lesson=NAME: the lesson whose step the page shows (ui/lessons.py)
STEP_PARAM = "step"  # ?step=3: that step, counted from 1
PRESENT_PARAM = "present"  # ?present=1: presenter mode (no sidebar, larger text, keys)
LANG_PARAM = "lang"  # ?lang=ko: the interface's language (ui/i18n.py)

# --- shared by every page -----------------------------------------------------------------
CHECKPOINT = "checkpoint"  # the selected run's name (set by the picker; not a widget key)
CHECKPOINT_PICKER = "checkpoint_picker"  # the sidebar picker (a widget), synced to CHECKPOINT
CHECKPOINT_LABEL = "checkpoint_label"  # the label the picker last sent for the choice
LINK_RUNS_SEEN = "link_runs_seen"  # every ?run= value read from or written to the URL
LESSON_SEEN = "lesson_seen"  # (lesson, step) last opened: a new one applies its view again
LANGUAGE = "language"  # the language of this session's pages ("en", "ko")
LANGUAGE_CHOSEN = "language_chosen"  # a link or the selector chose it (not the browser)
LANGUAGE_PICKER = "language_picker"  # the sidebar's language selector (a widget)

# --- Latent page --------------------------------------------------------------------------
LATENT_FOCUS = "latent_focus"  # the image the q(z|x) view starts on (set by a map selection)
LATENT_ENC_SEED = "latent_enc_seed"  # the draw of q(z|x) samples
LATENT_ENC_ROW = "latent_enc_row"  # the q(z|x) view's image picker (a widget)
LATENT_PIN = "latent_pin"  # (run, z): the last point pinned on the live map
LATENT_PROJECTIONS = "latent_projections"  # {(checkpoint key, source, method): (rows, xy)}
LATENT_STOPPED = "latent_stopped"  # the projection key whose run the Stop button ended

# --- Decoder page (and the hand-off to it) ------------------------------------------------
DECODER_HANDOFF = "decoder_z"  # set by the Latent page: {"run", "z", "source"}
DECODER_FROM = "decoder_from"  # (run, where the point came from), for a note at the top
DECODER_LINK_SEEN = "decoder_link_z"  # the z text last read from or written to the URL
DECODER_SERVER = "decoder_server"  # the "decode on the server" toggle (a widget)

# --- Compare page -------------------------------------------------------------------------
COMPARE_LINK_SEEN = "compare_link_vs"  # the ?vs= value last read from or written to the URL

# --- other pages --------------------------------------------------------------------------
OVERVIEW_SEED = "overview_seed"  # the draw of prior samples
INTERP_SEED = "interp_seed"  # the random pair's draw
INTERP_STEPS = "interp_steps"  # points along each path (a widget)
TRAINING_RERUN_APP = "training_rerun_app"  # the whole app must rerun (the picker changed)
TRAINING_SAMPLES = "training_samples"  # (key, picture): samples of the run being shown
TRAINING_NOTICE = "training_notice"  # a message carried over a rerun
TRAINING_SEEN_ACTIVE = "training_seen_active"  # runs this session saw while they trained
TRAINING_OWNER = "training_owner"  # this session's token: the jobs it started, it may cancel

# --- Inference page -----------------------------------------------------------------------
# Widgets bound to the URL (bind="query-params"): their keys are the query parameters.
INFERENCE_PART = "part"  # ?part=...: the open part (the die, or the model)
INFERENCE_IMAGE = "image"  # ?image=17: the test image (its index in the page's image set)
INFERENCE_PRIOR = "prior"  # ?prior=flat|fair|custom: the die's Beta prior
INFERENCE_THROWS = "throws"  # ?throws=6
INFERENCE_ONES = "ones"  # ?ones=2
INFERENCE_SOURCE = "inference_source"  # test image or upload (a widget)
INFERENCE_GAPS = "inference_gaps"  # checkpoint keys whose test-set gaps were asked for
