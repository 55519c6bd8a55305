"""The DP conditional tabular GAN (DP-SGD on the discriminator, Opacus ghost clipping).

Nothing is imported here, so that :mod:`.settings` loads without torch (the app reads its public
size thresholds before the training stack is loaded); :mod:`.synthesizer` holds ``DPGAN``.
"""
