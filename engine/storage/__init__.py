"""Storage: the model bundle (:mod:`.bundle`) and training checkpoints (:mod:`.checkpoint`),
both safetensors weights plus public JSON metadata, read without unpickling."""
