"""Continued-pretraining and finetuning recipes that produce the checkpoints under test."""
