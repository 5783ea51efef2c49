"""Reads a directory of TensorBoard event files with TensorBoard's own EventAccumulator and prints
what it holds as one JSON object: {"scalars": {tag: [[step, value], ...]}, "audio": {tag: [{step,
sample_rate, length_frames, content_type, bytes, sha256}]}, "histograms": {tag: [{step, min, max,
num, sum, sum_squares, bucket_limit, bucket}]}, "text": {tag: [[step, text]]}}. The referee of
higgs-train's TfEventsWriter (framework/util/tfevents_writer.h) and the tensorboard callback.

    python read_tfevents.py DIR
"""
import hashlib
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "audio": 0, "histograms": 0, "tensors": 0},
                       purge_orphaned_data=True)
acc.Reload()
tags = acc.Tags()
out = {"scalars": {}, "audio": {}, "histograms": {}, "text": {}}
for tag in tags["scalars"]:
    out["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]
for tag in tags["audio"]:
    out["audio"][tag] = [{"step": e.step, "sample_rate": e.sample_rate, "length_frames": e.length_frames,
                          "content_type": e.content_type, "bytes": len(e.encoded_audio_string),
                          "sha256": hashlib.sha256(e.encoded_audio_string).hexdigest()}
                         for e in acc.Audio(tag)]
for tag in tags["histograms"]:
    out["histograms"][tag] = [{"step": e.step, "min": e.histogram_value.min, "max": e.histogram_value.max,
                               "num": e.histogram_value.num, "sum": e.histogram_value.sum,
                               "sum_squares": e.histogram_value.sum_squares,
                               "bucket_limit": list(e.histogram_value.bucket_limit),
                               "bucket": list(e.histogram_value.bucket)}
                              for e in acc.Histograms(tag)]
for tag in tags["tensors"]:
    meta = acc.SummaryMetadata(tag)
    if meta.plugin_data.plugin_name == "text":
        out["text"][tag] = [[e.step, e.tensor_proto.string_val[0].decode("utf-8")] for e in acc.Tensors(tag)]
print(json.dumps(out))
