"""Simplified Chinese for the server's error messages: the engine's (generators/: uploads, checkpoints, sampling
options, config checks), raised as a message key and its values (generators/errors.py EngineError) and rendered by
ui.i18n.engine_message; and the UI's own and Gradio's input checks, raised in English and translated by template
(part of zh_CN.TEXTS, merged there). {placeholders} take the same names, format specs and conversions in both
languages.
"""
from __future__ import annotations

# the engine's messages by key (the key is the English template; tests/test_engine_errors.py checks that every
# raise in generators/ has one here, with the same placeholders, and that none here is unused)
ENGINE: dict[str, str] = {
    # generators/base.py: data kinds, latents and labels (Family)
    "this {family} model is for {kind} data, {name!r} is {other}": "这个 {family} 模型用于 {kind} 数据，而 {name!r} 是 {other}",
    "latents must have shape {want}, got {got}": "潜在变量的形状必须是 {want}，实际是 {got}",
    "latents must be finite numbers": "潜在变量必须是有限的数",
    "this {family} model is unconditional: it takes no label": "这个 {family} 模型是无条件的：它不接受类别标签",
    "got {n} labels for {m} samples": "为 {m} 个样本收到了 {n} 个标签",
    "label must be in 0..{hi}": "标签必须在 0..{hi} 范围内",
    # generators/base.py: config checks shared by every family (check_whole_numbers, check_reals, check_choices)
    "{name} must be a whole number in {lo}..{hi}": "{name} 必须是 {lo}..{hi} 之间的整数",
    "{name} must be in {lo:g}..{hi:g}": "{name} 必须在 {lo:g}..{hi:g} 范围内",
    "{name} must be one of {options}, not {value!r}": "{name} 必须是 {options} 之一，而不是 {value!r}",
    # generators/base.py: seeds
    "seed must be a whole number, got {type}": "种子必须是整数，实际是 {type}",
    "seed must be a whole number": "种子必须是整数",
    "seed must be in 0..{max}": "种子必须在 0..{max} 范围内",
    # generators/base.py: checkpoints (config_from_json, read_safetensors, read_meta, load_state_into)
    "config must be a JSON object": "配置必须是一个 JSON 对象",
    "config has unknown field(s) {fields}": "配置中有未知字段 {fields}",
    "bad config: {why}": "配置有误：{why}",
    "cannot read {name}: {why}": "无法读取 {name}：{why}",
    "{name} is {size} bytes, over the {limit}-byte limit": "{name} 有 {size} 字节，超过了 {limit} 字节的上限",
    "{name} is not a safetensors file (too short)": "{name} 不是 safetensors 文件（太短）",
    "{name} is not a safetensors file (bad header length {n})": "{name} 不是 safetensors 文件（文件头长度 {n} 有误）",
    "{name} is not a safetensors file (header is not JSON)": "{name} 不是 safetensors 文件（文件头不是 JSON）",
    "{name} is not a safetensors file (header is not an object)": "{name} 不是 safetensors 文件（文件头不是对象）",
    "{name}: tensor {tensor!r} has an unsupported dtype": "{name}：张量 {tensor!r} 的数据类型不受支持",
    "{name}: tensor {tensor!r} has a malformed entry": "{name}：张量 {tensor!r} 的条目格式错误",
    "{name}: tensor {tensor!r} declares {n} bytes that the file does not hold":
        "{name}：张量 {tensor!r} 声明了 {n} 字节，但文件中没有这些数据",
    "{name} is corrupt: {why}": "{name} 已损坏：{why}",
    "{name} is too large for a config": "{name} 太大，不像是配置文件",
    "config file {name} is missing": "缺少配置文件 {name}",
    "{name} is not valid JSON": "{name} 不是有效的 JSON",
    "{name} must hold a JSON object": "{name} 必须包含一个 JSON 对象",
    "{name}: unsupported format_version {version!r}": "{name}：不支持的 format_version {version!r}",
    "{name}: missing tensor(s) {tensors}": "{name}：缺少张量 {tensors}",
    "{name}: missing tensor(s) {tensors} …": "{name}：缺少张量 {tensors} …",
    "{name}: unexpected tensor(s) {tensors}": "{name}：有多余的张量 {tensors}",
    "{name}: unexpected tensor(s) {tensors} …": "{name}：有多余的张量 {tensors} …",
    "{name}: tensor {tensor} has shape {shape}, expected {want}": "{name}：张量 {tensor} 的形状是 {shape}，应为 {want}",
    "{name}: tensor {tensor} has dtype {dtype}, expected {want}": "{name}：张量 {tensor} 的数据类型是 {dtype}，应为 {want}",
    "{name}: tensor {tensor} holds NaN or Inf": "{name}：张量 {tensor} 含有 NaN 或 Inf",
    # generators/__init__.py: families and checkpoints by name
    "unknown family {name!r} (use {options})": "未知的模型类别 {name!r}（请使用 {options}）",
    "no checkpoint at {path}": "{path} 处没有检查点",
    "unknown checkpoint {name!r} (shipped: none)": "未知的检查点 {name!r}（没有内置检查点）",
    "unknown checkpoint {name!r} (shipped: {options})": "未知的检查点 {name!r}（内置：{options}）",
    "{name}: unknown family {family!r}": "{name}：未知的模型类别 {family!r}",
    "{name} is a {family} checkpoint, not {other}": "{name} 是 {family} 检查点，不是 {other}",
    # generators/recipe.py: the recipe and a run's saved state
    "ema_decay must be in [0, 1)": "ema_decay 必须在 [0, 1) 范围内",
    "the cosine horizon ({horizon}) must come after the warmup ({warmup})": "余弦调度的终点（{horizon}）必须在预热（{warmup}）之后",
    "the checkpoint's raw weights {name} does not fit the model": "检查点的原始权重 {name} 与模型不匹配",
    "the checkpoint's optimizer state {name} does not fit the model": "检查点的优化器状态 {name} 与模型不匹配",
    "the checkpoint's step count is not a whole number in 0..10^9": "检查点的步数不是 0..10^9 之间的整数",
    "the checkpoint's optimizer state does not fit the model ({error})": "检查点的优化器状态与模型不匹配（{error}）",
    # generators/run.py and generators/train.py: runs and the training loop
    "steps and batch size must be positive": "步数和批大小必须为正数",
    "bad stop token": "停止令牌无效",
    "a cosine schedule needs its horizon (the train() call sets it to the run's last step)":
        "余弦调度需要指定终点（train() 调用会把它设为这次训练的最后一步）",
    "{family}: data parallelism needs every trained parameter in one of NETWORKS {names}":
        "{family}：数据并行要求每个训练参数都属于 NETWORKS {names} 中的某个网络",
    "dataset is empty": "数据集是空的",
    # generators/export.py: ONNX export
    "only {first} and {second} decoders export to ONNX, not {family}": "只有 {first} 和 {second} 的解码器能导出为 ONNX，{family} 不能",
    "only {families} decoders export to ONNX, not {family}": "只有 {families} 的解码器能导出为 ONNX，{family} 不能",
    "ONNX export of {name} differs from PyTorch by {diff:.2e} (> {tolerance:g})":
        "{name} 导出的 ONNX 与 PyTorch 相差 {diff:.2e}（> {tolerance:g}）",
    # generators/device.py: devices
    "unknown device {name!r} (use auto, cpu or cuda)": "未知的设备 {name!r}（请使用 auto、cpu 或 cuda）",
    "device cuda asked for, but no CUDA GPU is available": "要求使用 cuda 设备，但没有可用的 CUDA GPU",
    # generators/data.py: splits, MNIST, bundled sets
    "unknown split {name!r} (use {options})": "未知的数据划分 {name!r}（请使用 {options}）",
    "{name} is not an IDX file": "{name} 不是 IDX 文件",
    "{name}: unknown IDX dtype {dtype:#x}": "{name}：未知的 IDX 数据类型 {dtype:#x}",
    "{name}: expected {want} values, found {got}": "{name}：应有 {want} 个值，实际有 {got} 个",
    "mnist-full has splits train and heldout": "mnist-full 只有 train 和 heldout 两个划分",
    "full MNIST not found in {folder}": "在 {folder} 中找不到完整的 MNIST",
    "unknown toy dataset {name!r} (use {options})": "未知的二维玩具数据集 {name!r}（请使用 {options}）",
    "unknown text dataset {name!r}": "未知的文本数据集 {name!r}",
    "unknown dataset {name!r} (use {options}, or a .txt, .zip, .npy, .abc or .mid file)":
        "未知的数据集 {name!r}（请使用 {options}，或一个 .txt、.zip、.npy、.abc 或 .mid 文件）",
    "unknown dataset {name!r} (use {options})": "未知的数据集 {name!r}（请使用 {options}）",
    # generators/data.py: a user's images, text, zip and .npy
    "{name} is empty": "{name} 是空的",
    "{name} declares too many pixels (a decompression bomb?)": "{name} 声明的像素太多（可能是解压炸弹？）",
    "{name} is not a readable image": "{name} 不是可读取的图像",
    "{name} is {w}×{h} pixels, over the {limit:,}-pixel limit for one image":
        "{name} 有 {w}×{h} 像素，超过了单张图像 {limit:,} 像素的上限",
    "text file is larger than 20 MB": "文本文件超过 20 MB",
    "text file is not UTF-8": "文本文件不是 UTF-8 编码",
    "text file needs at least 10 non-empty lines": "文本文件至少需要 10 个非空行",
    "text file has more than {n} lines": "文本文件超过 {n} 行",
    "every line must be at most {n} characters": "每行最多 {n} 个字符",
    "the file cannot be read": "无法读取该文件",
    "the file is larger than {n} MB": "文件超过 {n} MB",
    "{name} is not a zip file": "{name} 不是 zip 文件",
    "the zip holds more than {n} images": "zip 中的图片超过 {n} 张",
    "the zip unpacks to more than 200 MB": "zip 解压后超过 200 MB",
    "{name} unpacks to more than {n} MB": "{name} 解压后超过 {n} MB",
    "the images hold more than {n:,} pixels in all: resize them (28×28 is enough)":
        "这些图片的像素总数超过 {n:,}：请缩小它们（28×28 就够了）",
    "the zip cannot be read: {why}": "无法读取 zip：{why}",
    "the zip needs at least 10 images (.png, .jpg, .bmp, .gif, .webp)":
        "zip 中至少需要 10 张图片（.png、.jpg、.bmp、.gif、.webp）",
    "{name} is not a numeric .npy file ({why})": "{name} 不是数值 .npy 文件（{why}）",
    "the .npy must hold N numbers (1-D data) or N×2 numbers (2D points)": ".npy 必须包含 N 个数（一维数据）或 N×2 个数（二维点）",
    "the .npy needs 10 to {n:,} rows": ".npy 需要 10 到 {n:,} 行",
    "the .npy's numbers must be finite and within ±10⁶": ".npy 中的数必须是有限的，且在 ±10⁶ 以内",
    "{name} is too short to train on: at least 10 pieces of 4 bars": "{name} 太短，无法训练：至少需要 10 段 4 小节",
    "use a .zip of images, a .txt file with one item per line, a .npy of numbers or points, or an .abc or .mid of "
    "melodies": "请使用图片的 .zip、每行一项的 .txt 文件、数值/点集的 .npy，或旋律的 .abc / .mid",
    # generators/datasets/emoji.py, poems.py: the shipped files
    "{name}: its groups {groups} are not EMOJI_GROUPS": "{name}：其中的分组 {groups} 与 EMOJI_GROUPS 不符",
    "{name}: expected uint8 N×{size}×{size}×3 images and N labels": "{name}：应为 N×{size}×{size}×3 的 uint8 图像和 N 个标签",
    "{name}, line {line}: not a quatrain of 5 or 7 characters a line": "{name}，第 {line} 行：不是每句 5 字或 7 字的绝句",
    # generators/music.py: events, typed notes
    "not melody events: {chars!r}": "不是旋律事件：{chars!r}",
    "a melody is a 1-D sequence of events 0 … {hi}": "旋律是由事件 0 … {hi} 组成的一维序列",
    "{token!r}: the length after ':' is a whole number of 16ths": "{token!r}：冒号后的时值必须是十六分音符的整数个数",
    "{token!r}: a length is 1 … 16 sixteenths": "{token!r}：时值必须是 1 … 16 个十六分音符",
    "{token!r} is not a note: write a name and an octave (C4, F#4, Bb3) or r for a rest":
        "{token!r} 不是一个音：请写音名和八度（C4、F#4、Bb3），或用 r 表示休止",
    "{token!r} is outside the range {lo} … {hi}": "{token!r} 超出了 {lo} … {hi} 的音域",
    "at most {n} sixteenths can be typed": "最多只能输入 {n} 个十六分音符",
    # generators/music_files.py: a user's .abc / .mid
    "the file holds {n} tunes; at most {max} can be read": "文件里有 {n} 首曲子；最多只能读 {max} 首",
    "{name}: a melody file is .abc or .mid": "{name}：旋律文件必须是 .abc 或 .mid",
    "{name}: cannot be read": "{name}：无法读取",
    "{name} is larger than {n} MB": "{name} 超过 {n} MB",
    "{name} is not an ABC text file": "{name} 不是 ABC 文本文件",
    "{name}: music21 could not read it as ABC": "{name}：music21 无法把它读作 ABC",
    "{name} is not a MIDI file (it does not start with MThd)": "{name} 不是 MIDI 文件（它不以 MThd 开头）",
    "{name}: music21 could not read it as MIDI": "{name}：music21 无法把它读作 MIDI",
    "{name} holds no melody that fits {lo} … {hi}": "{name} 里没有能放进 {lo} … {hi} 音域的旋律",
    # generators/music.py: the Essen collections and their cache
    "unknown melody collection {name!r} (use {options})": "未知的旋律集 {name!r}（请使用 {options}）",
    "the {collection} songs are not read yet: run `{command}` (or train on them) once; it parses them with music21 "
    "into {folder}": "{collection} 的歌曲还没有读入：请运行一次 `{command}`（或用它们训练一次），它会用 music21 把歌曲解析到 "
                     "{folder}",
    "{name} is not a melody cache ({why}); delete it to read the songs again":
        "{name} 不是旋律缓存（{why}）；删除它即可重新读取歌曲",
    # generators/melody_metrics.py
    "this {family} model does not make melodies": "这个 {family} 模型不生成旋律",
    # generators/autoregressive.py: the config
    "tie_embeddings must be true or false": "tie_embeddings 必须是 true 或 false",
    "tie_embeddings is for the transformer": "tie_embeddings 只适用于 transformer",
    "vocab must be 1..{n} distinct characters": "vocab 必须是 1..{n} 个不同的字符",
    "vocab cannot contain the boundary character {char!r}": "vocab 不能包含边界字符 {char!r}",
    "n_embd must be a multiple of n_head": "n_embd 必须是 n_head 的倍数",
    "dropout must be in [0, 1) and lr in (0, 1]": "dropout 必须在 [0, 1) 内，lr 在 (0, 1] 内",
    "a multi-token step after a cache is not supported": "不支持在缓存之后一次走多个词元",
    # generators/autoregressive.py: data, tokens and the poem form
    "the autoregressive family trains on text or melodies, not {kind} ({name!r})":
        "自回归类模型在文本或旋律上训练，不能用 {kind}（{name!r}）",
    "this autoregressive model trains on {kind}, {name!r} is {other}": "这个自回归模型在 {kind} 上训练，而 {name!r} 是 {other}",
    "characters not in this model's vocabulary: {chars!r}": "不在这个模型词表中的字符：{chars!r}",
    "form must be 0 (free), 5 or 7": "form 必须是 0（自由）、5 或 7",
    "acrostic must be text": "acrostic 必须是文本",
    "rhyme must be true or false": "rhyme 必须是 true 或 false",
    "form and acrostic are for poem models: this model's vocabulary has no ， and 。 (autoregressive-poems has them)":
        "form 和 acrostic 用于诗歌模型：这个模型的词表里没有 ， 和 。（autoregressive-poems 有）",
    "rhyme needs a form: give form 5 or 7 with it": "押韵需要指定 form：请同时给出 form 5 或 7",
    "an acrostic needs a form: give form 5 or 7 with it": "藏头诗需要指定 form：请同时给出 form 5 或 7",
    "the acrostic must be exactly 4 characters (one per line), got {n}": "藏头必须正好 4 个字符（每行一个），实际是 {n} 个",
    "acrostic characters not in this model's vocabulary: {chars!r}": "不在这个模型词表中的藏头字符：{chars!r}",
    "the acrostic's characters start lines: they cannot be punctuation": "藏头字符是每行的开头：不能是标点",
    "the prefix does not fit the {form}-character form: character {i} ({char!r}) cannot come there":
        "前缀不符合 {form} 字一句的格式：第 {i} 个字符（{char!r}）不能出现在那里",
    "the prefix does not fit the {form}-character form and acrostic: character {i} ({char!r}) cannot come there":
        "前缀不符合 {form} 字一句的格式和藏头：第 {i} 个字符（{char!r}）不能出现在那里",
    "the prefix does not fit the {form}-character form and rhyme: character {i} ({char!r}) cannot come there":
        "前缀不符合 {form} 字一句的格式和押韵：第 {i} 个字符（{char!r}）不能出现在那里",
    "the prefix does not fit the {form}-character form and acrostic and rhyme: character {i} ({char!r}) cannot "
    "come there": "前缀不符合 {form} 字一句的格式、藏头和押韵：第 {i} 个字符（{char!r}）不能出现在那里",
    # generators/autoregressive.py: likelihood and sampling options
    "{text!r}… is longer than {n} characters": "{text!r}… 超过了 {n} 个字符",
    "at most {n} characters": "最多 {n} 个字符",
    "the prefix can be at most {n} characters": "前缀最多 {n} 个字符",
    "temperature must be in 0..5": "temperature 必须在 0..5 范围内",
    "top_k must be a whole number in 0..{hi}": "top_k 必须是 0..{hi} 之间的整数",
    "top_p must be in (0, 1]": "top_p 必须在 (0, 1] 范围内",
    "the autoregressive model is unconditional: it takes no label": "自回归模型是无条件的：它不接受类别标签",
    "the autoregressive model has no latents: its randomness is the generator": "自回归模型没有潜在变量：它的随机性来自随机数生成器",
    "prefix must be text": "prefix 必须是文本",
    # generators/rhyme.py
    "one character at a time, got {ch!r}": "一次只能一个字符，实际是 {ch!r}",
    "not a quatrain of 5 or 7 characters a line: {poem!r}": "不是每行 5 或 7 个字符的绝句：{poem!r}",
    "no poems to measure": "没有可衡量的诗",
    "the shuffled baseline needs at least 2 poems": "打乱配对的基线至少需要 2 首诗",
    # generators/metrics.py: the feature network
    "image_size {size} must be a multiple of 4 from 4 to 256": "image_size {size} 必须是 4 到 256 之间 4 的倍数",
    "arch must be one of {options}, not {value!r}": "arch 必须是 {options} 之一，而不是 {value!r}",
    "channels must be 1–4; width, features and num_classes at least 1": "channels 必须在 1–4 之间；width、features 和 num_classes 至少为 1",
    "set .generator before training (dropout draws from it)": "训练前请先设置 .generator（dropout 从中抽取随机数）",
    "this feature network reads images of shape {want}, got {got}": "这个特征网络读取形状为 {want} 的图像，实际是 {got}",
    "{name!r}: the feature network needs square, labelled images": "{name!r}：特征网络需要带标签的正方形图像",
    "{name} is not a classifier checkpoint": "{name} 不是分类器检查点",
    "a model of the {name!r} dataset must draw images of shape {want}, this one draws {got}":
        "{name!r} 数据集的模型必须生成形状为 {want} 的图像，而这个模型生成的是 {got}",
    "no feature network for images of shape {shape} ({networks})": "没有适用于形状为 {shape} 的图像的特征网络（{networks}）",
    # generators/metrics.py: measures
    "images must be (N, C, H, W), got shape {shape}": "图像必须是 (N, C, H, W)，实际形状是 {shape}",
    "images of {n} values cannot be compared with training images of {m}": "{n} 个值的图像无法与 {m} 个值的训练图像比较",
    "no evaluator for {kind} models": "没有适用于 {kind} 模型的评估器",
    # generators/gaussian.py: the config, the family, and the Gaussian tab's 1-D lesson
    "dataset must be a name or a path of at most 1000 characters": "数据集必须是一个名称或不超过 1000 个字符的路径",
    "{name} must be {dim} finite number(s) in {lo:g}..{hi:g}, or none":
        "{name} 必须是 {lo:g}..{hi:g} 之间的 {dim} 个有限数，或不填",
    "loc and scale must both be given, or neither": "loc 和 scale 必须同时给出，或都不给",
    "the data has no spread: every value is the same": "数据没有离散度：所有值都相同",
    "gaussian models fit points or numbers, not {kind} ({dataset!r})": "高斯模型拟合点或数，不能用 {kind}（{dataset!r}）",
    "{dataset!r} holds {kind}: a gaussian model for it has dim {dim}": "{dataset!r} 包含 {kind}：适合它的高斯模型维度为 {dim}",
    "points must have shape (N, {d}), got {shape}": "点集的形状必须是 (N, {d})，实际是 {shape}",
    "points must have shape (N, {d}) or (N,), got {shape}": "点集的形状必须是 (N, {d}) 或 (N,)，实际是 {shape}",
    "points must be finite numbers": "点必须是有限的数",
    "ellipses are for 2-D models": "椭圆只适用于二维模型",
    "n must be a whole number in 0..10^7": "n 必须是 0..10^7 之间的整数",
    "data must be one of {options}, not {name!r}": "data 必须是 {options} 之一，而不是 {name!r}",
    "N must be a whole number in 2..{hi}": "N 必须是 2..{hi} 之间的整数",
    "the numbers must be text": "这些数必须是文本",
    "type at most {n:,} characters of numbers": "最多输入 {n:,} 个字符的数字",
    "type 2 to {n:,} numbers separated by commas or spaces (got {got})": "请输入 2 到 {n:,} 个数，用逗号或空格分隔（收到 {got} 个）",
    "{text!r} is not a number": "{text!r} 不是数字",
    "the numbers must be finite and within ±10⁶": "这些数必须是有限的，且在 ±10⁶ 以内",
    "the learning rate must be in (0, 2]": "学习率必须在 (0, 2] 范围内",
    "steps must be a whole number in 0..100000": "steps 必须是 0..100000 之间的整数",
    # generators/diffusion.py: the config and the samplers' options
    "default_sampler of a {objective} model must be one of {options}, not {sampler!r}":
        "{objective} 模型的 default_sampler 必须是 {options} 之一，而不是 {sampler!r}",
    "default_steps of a flow model must be a whole number in 1..{hi}": "流模型的 default_steps 必须是 1..{hi} 之间的整数",
    "image_size must be a multiple of 4 (the UNet halves it twice), not {size}":
        "image_size 必须是 4 的倍数（UNet 会把它减半两次），而不是 {size}",
    "p_uncond must be in [0, 1), lr in (0, 1], default_guidance in 0..20":
        "p_uncond 必须在 [0, 1) 内，lr 在 (0, 1] 内，default_guidance 在 0..20 内",
    "{name} must be 0 (no clipping) or a bound in (0, 20]": "{name} 必须是 0（不截断）或 (0, 20] 内的界限",
    "the diffusion family trains on images or 2D points, not text ({dataset!r})":
        "扩散模型在图像或二维点上训练，不能用文本（{dataset!r}）",
    "sampler must be euler or heun for this flow-matching model, not {sampler!r}":
        "对这个流匹配模型，采样器必须是 euler 或 heun，而不是 {sampler!r}",
    "sampler must be ddim or ddpm for this ε-prediction model, not {sampler!r}":
        "对这个 ε 预测模型，采样器必须是 ddim 或 ddpm，而不是 {sampler!r}",
    "steps must be a whole number in 1..{hi}": "steps 必须是 1..{hi} 之间的整数",
    "steps must be a whole number in 1..{hi} (T = {T})": "steps 必须是 1..{hi} 之间的整数（T = {T}）",
    "eta must be in 0..1": "eta 必须在 0..1 范围内",
    "eta is DDIM's randomness; the flow samplers (euler, heun) are deterministic: use 0":
        "eta 是 DDIM 的随机性；流采样器（euler、heun）是确定性的：请用 0",
    "guidance must be in 0..20": "guidance 必须在 0..20 范围内",
    "t must be a whole number in 0..{hi}": "t 必须是 0..{hi} 之间的整数",
    # generators/vae.py: the config, the family, sampling options
    "image_size {size} must halve {k} times to below 8×8 (e.g. 28, 32, 64)":
        "image_size {size} 必须能减半 {k} 次到 8×8 以下（例如 28、32、64）",
    "the VAE family trains on images or melodies, not {kind} ({dataset!r})":
        "VAE 在图像或旋律上训练，不能用 {kind}（{dataset!r}）",
    "images must be float N×{shape}, got shape {got}": "图像必须是 N×{shape} 的浮点数，实际形状是 {got}",
    "image values must be finite and in [0, 1]": "图像的值必须是有限的，且在 [0, 1] 范围内",
    "this conditional VAE needs labels": "这个条件 VAE 需要类别标签",
    "temperature must be in 0..2": "temperature 必须在 0..2 范围内",
    "prior must be one of {options}, not {prior!r}": "prior 必须是 {options} 之一，而不是 {prior!r}",
    "this VAE trains on {kind}, {dataset!r} is {other}": "这个 VAE 在 {kind} 上训练，而 {dataset!r} 是 {other}",
    # generators/gan.py: the config, the family, sampling options
    "aux_weight must be in 0..100": "aux_weight 必须在 0..100 范围内",
    "the auxiliary class loss needs num_classes > 0 and label_planes off (a class head that sees the label planes "
    "would only read them back)":
        "辅助类别损失需要 num_classes > 0 且关闭 label_planes（能看到标签平面的类别头只会把标签读回来）",
    "image_size {size} must be 7·2^k or 4·2^k (e.g. 28, 32, 64)": "image_size {size} 必须是 7·2^k 或 4·2^k（例如 28、32、64）",
    "the mlp GAN is unconditional: set num_classes=0": "mlp GAN 是无条件的：请设 num_classes=0",
    "the GAN family trains on images or 2D points, not text ({dataset!r})":
        "GAN 在图像或二维点上训练，不能用文本（{dataset!r}）",
    "truncation must be in 0..2": "truncation 必须在 0..2 范围内",
    "at most {n} offsets and principal directions for this {n}-dimensional latent":
        "对这个 {n} 维潜在空间，偏移量和主方向最多 {n} 个",
}

# the UI's own messages and Gradio's input checks, by English template (merged into zh_CN.TEXTS)
ERRORS: dict[str, str] = {
    # ------------------------------------------------------------------ the API: what a gradio_client caller cannot
    # send (ui/vae_map.py)
    "This event answers a click on the latent map and needs its position, which an API call cannot send.":
        "这个事件响应潜在空间地图上的点击，需要点击的位置，而 API 调用无法发送它。",
    # ------------------------------------------------------------------ Gradio's own input checks (ui/gradio_seam.py)
    "Value {num} is less than minimum value {minimum}.": "值 {num} 小于最小值 {minimum}。",
    "Value {num} is greater than maximum value {maximum}.": "值 {num} 大于最大值 {maximum}。",
    "Value: {value} (type: {type}) is not in the list of choices: {choices}": "值 {value}（类型：{type}）不在可选项中：{choices}",
    "Value: {value} is not in the list of choices: {choices}": "值 {value} 不在可选项中：{choices}",
    "Invalid file type. Please upload a file that is one of these formats: {formats}":
        "文件类型无效。请上传以下格式之一的文件：{formats}",
}
