"""Session IV: Bubble Breaker and the 2016 after-state value agent.

engine.py   the rules (2016 RNG protocol, reproducible from a seed) + a vectorised batch path
agent.py    9 feature planes, ValueNet (conv 32 -> conv 16 -> dense 32 -> 1), batched play, replay records
train.py    batched self-play training, resumable:  python -m models.bubble.train --help
evaluate.py test-seed scores for a checkpoint -> models/artefacts/bubble/manifest.json
"""
