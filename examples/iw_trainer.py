"""Fine-tune a multilingual encoder on English reviews with zero-shot instance weighting
towards German (paper Eq. 2): `zsiw.IWTrainer` in place of `transformers.Trainer`.

Runs offline on the demo encoder and synthetic demo reviews; for your own run, put your model
name (e.g. "xlm-roberta-base") and your English / target-language datasets in their place.
"""

from datasets import Dataset
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    TrainingArguments,
)

from zsiw import IWTrainer
from zsiw.data.demo import demo_reviews
from zsiw.models import fetch_encoder

model_dir = fetch_encoder(
    "zsiw-demo/multilingual-e5-small", "data/models/zsiw-demo--multilingual-e5-small"
)
tokenizer = AutoTokenizer.from_pretrained(model_dir)


def tokenise(batch):
    return tokenizer(batch["text"], truncation=True, max_length=64)


english = Dataset.from_list(demo_reviews("en", 256)).map(tokenise, batched=True)  # labelled
german = Dataset.from_list(demo_reviews("de", 256, seed=1)).map(tokenise, batched=True)
german_pool = german.remove_columns(["label", "text"])  # unlabelled target data: ids only
german_test = Dataset.from_list(demo_reviews("de", 200, seed=2)).map(tokenise, batched=True)


def accuracy(prediction):
    return {"accuracy": (prediction.predictions.argmax(-1) == prediction.label_ids).mean()}


model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
args = TrainingArguments(
    "results/example-iw",
    num_train_epochs=2,
    per_device_train_batch_size=16,
    learning_rate=1e-4,
    logging_steps=8,
    save_strategy="no",
    report_to=[],
    seed=1,
)
trainer = IWTrainer(
    model=model,
    args=args,
    train_dataset=english,
    eval_dataset=german_test,
    data_collator=DataCollatorWithPadding(tokenizer),
    processing_class=tokenizer,
    compute_metrics=accuracy,
    target_dataset=german_pool,
    iw_method="cosine",
)
trainer.train()
print(trainer.evaluate())
