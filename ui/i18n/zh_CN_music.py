"""Simplified Chinese for the melody views (issue 31: ui/melody.py, the Train tab's melody parts, the Compare
columns and the music engine's messages). Merged into zh_CN's TEXTS, LONG and PAGE at their places."""
from __future__ import annotations

TEXTS: dict[str, str] = {
    # the panels (ui/melody.py)
    "Melodies: Han folk songs, one note at a time": "旋律：汉族民歌，一次一个音",
    "Melodies: a MusicVAE in miniature": "旋律：迷你版 MusicVAE",
    "Melodies: denoising piano rolls": "旋律：给钢琴卷帘去噪",
    "Held-out song (1–122)": "留出的歌曲（1–122）",
    "Start: note names (C4 = do), :length in 16ths": "开头：音名（C4 = do），冒号后是以十六分音符计的时值",
    "Continue the melody": "续写旋律",
    "Step through from the start": "从开头逐步生成",
    "…or click a note to force it": "……或点击一个音，强制选它",
    "Hear them (the server's WAV)": "听一听（服务器生成的 WAV）",
    "Download .mid and .wav": "下载 .mid 和 .wav",
    "Song A (held out, 1–122)": "歌曲 A（留出，1–122）",
    "Song B (held out, 1–122)": "歌曲 B（留出，1–122）",
    "Points on the line": "连线上的点数",
    "Interpolate A → B": "从 A 插值到 B",
    "Denoise melodies": "去噪生成旋律",
    "Hear the samples (melody runs)": "听样本（旋律模型的训练）",
    "Your data: .zip of images, .txt (one item per line), .npy of N×2 points or N numbers (20 MB max), or .abc / "
    ".mid melodies (2 MB max)": "你的数据：图片的 .zip、.txt（每行一项）、N×2 个点 / N 个数的 .npy（最大 20 MB），"
                                "或 .abc / .mid 旋律（最大 2 MB）",
    # what the views write
    "Play": "播放", "rest": "休止", "hold": "延长", "⏎ end": "⏎ 结束",
    "The first {bars} bars are yours, the rest the model's.": "前 {bars} 小节是你的，其余是模型写的。",
    "{n} sixteenths so far": "目前 {n} 个十六分音符",
    "A (the song)": "A（原曲）", "A decoded": "A 解码", "B decoded": "B 解码", "B (the song)": "B（原曲）",
    "decoded z": "解码的 z",
    "A and B are held-out songs the VAE never trained on; between them, the decoded points of the line from A's "
    "latent to B's.": "A 和 B 是 VAE 从未训练过的留出歌曲；两者之间是从 A 的潜在向量到 B 的潜在向量连线上各点的解码。",
    "Next note: the {n} likeliest": "下一个音：最可能的 {n} 个",
    "The other {rest} notes hold {pm} of the model's probability and {ps} of the sampled one.":
        "其余 {rest} 个选择占模型概率的 {pm}，占采样概率的 {ps}。",
    "The other {rest} notes hold {pm} of the model's probability and {ps} of the sampled one ({cut} of them cut).":
        "其余 {rest} 个选择占模型概率的 {pm}，占采样概率的 {ps}（其中 {cut} 个被截断）。",
    # the views' messages
    "The Han songs are still being read into the cache (about a minute, once after the app first starts). Try again "
    "shortly.": "汉族民歌还在读入缓存（应用第一次启动后需要约一分钟，只此一次）。请稍后再试。",
    "The {dataset} songs are still being read into the cache (once, about a minute after the app first starts). "
    "Try again shortly.": "{dataset} 歌曲还在读入缓存（应用第一次启动后需要约一分钟，只此一次）。请稍后再试。",
    "Pick one of the notes shown.": "请从显示的音中选一个。",
    "The melody is as long as the model allows (8 bars).": "旋律已达到模型允许的最大长度（8 小节）。",
    "Train a melody model (a dataset of songs: han, german, or your .abc / .mid) to hear its samples.":
        "先训练一个旋律模型（歌曲数据集：han、german，或你的 .abc / .mid），才能听它的样本。",
    "Held-out song": "留出的歌曲", "Start": "开头", "Melody": "旋律", "Note": "音",
    # Train-tab data sets (choice.<value>)
    "han": "汉族民歌（Essen）", "german": "德国民歌（Essen）",
}

LONG: dict[str, str] = {
    "lesson.melody_ar": r"""**原理讲解。** 一段旋律是一串*事件*，每个十六分音符一个：一个音开始（32 个音高之一，从调的 do 算起，统一显示在 C 调），正在响的音*延长*，或*休止*。链式法则把旋律写成逐个“下一个事件”的选择，$p(e_1 \dots e_T) = \prod_t p(e_t \mid e_{<t})$，由与名字相同的 Transformer 逐个预测（这是 MelodyRNN 的思路，只是用注意力代替了它的 LSTM）。它在 Essen 民歌集中 1,097 首汉族民歌的 8 小节片段上训练；编号是 10 的倍数的 122 首歌留出不用。温度、top-k 和 top-p 截断下一个事件的分布，与截断下一个字母的方式相同。

**试一试：** ① 选一首留出的歌（输入编号，按回车），再按*续写旋律*：前 2 小节是原曲的，其余是模型写的。在每个卷帘上按 ▶。② 把温度设为 0.3，再设为 1.5：先是稳妥的五声音阶旋律，然后是游移的旋律，会出现 do re mi sol la 之外的音。③ *从开头逐步生成*：一个音之后最常见的是*延长*；点击一个模型认为不太可能的音，听听它接下来往哪里走。""",
    "lesson.melody_vae": r"""**原理讲解。** 迷你版 MusicVAE：同一个卷积 VAE，在汉族民歌的 4 小节钢琴卷帘上训练（32 个音高 × 32 个十六分音符：音开始处为 1，延长处为 ½）。编码器把旋律映射成 16 个潜在数上的高斯分布 $q(z \mid x)$，解码器把任意 $z$ 映射回卷帘，训练时最大化 $\text{ELBO} = \mathbb E_{q}[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x)\,\|\,\mathcal N(0, I))$。解码出的卷帘里，每个十六分音符最亮的音高被读作旋律。

**试一试：** ① *从 A 插值到 B*：两端是两首留出的歌和它们的重建；中间是从 A 的潜在向量到 B 的潜在向量连线上各点的解码。沿着这一行逐个按 ▶：节奏和旋律走向一点点变化。② 选两首性格不同的歌（一首舒缓，一首紧凑），听听中间的旋律。③ 拖动滑块（前 4 个潜在数，其余为 0）：哪一个改变音区，哪一个改变节奏？""",
    "lesson.melody_diffusion": r"""**原理讲解。** 用扩散模型处理音乐的图像。流模型在汉族民歌的 4 小节钢琴卷帘（$x_0$）与噪声（$\varepsilon$）之间的直线路径 $x_t = (1 - t)\,x_0 + t\,\varepsilon$ 上学习速度 $v_\theta(x_t, t) \approx \varepsilon - x_0$，采样时用欧拉步从 $t = 1$ 的噪声积分 $dx/dt = v_\theta$ 到 $t = 0$ 的卷帘。每个十六分音符最亮的音高被读作旋律。这里我们选了扩散模型而不是 GAN：卷帘几乎全是空白，GAN 的生成器在这里会停留在少数几个稳妥的模式上，而去噪器在每个噪声水平上都见过每一个卷帘。

**试一试：** ① 用 10 步*去噪生成旋律*，再用 2 步：旋律散成零落的音。② 换个种子听一听：这些样本听起来像 VAE 和自回归标签页里的歌吗？③ 在“比较”标签页对比各模型的*五声音阶内的音*和*复制*两列。""",
}

PAGE: dict[str, str] = {
    "NLL/event ↓": "NLL/事件 ↓", "5-gram NLL/event": "5 元语法 NLL/事件", "notes in pentatonic": "五声音阶内的音",
    "copies ≥16 notes ↓": "复制 ≥16 个音 ↓", "held-out Han songs": "留出的汉族民歌",
}
