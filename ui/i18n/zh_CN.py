"""Simplified Chinese (简体中文) for Latent Lab.

TEXTS: English source text → Chinese; an entry with {placeholders} is a template (the same names in both).
LONG: the long texts (lessons, the header) by name; their English lives in the modules named in
ui/i18n/__init__.py's LONG_SOURCES. Equations ($…$) and code spans stay exactly as in the English.
"""
from __future__ import annotations

from . import zh_CN_music as music
from .zh_CN_errors import ERRORS

TEXTS: dict[str, str] = {
    # ------------------------------------------------------------------ tabs and shared controls
    "GAN": "生成对抗网络",
    "VAE": "变分自编码器",
    "Diffusion": "扩散模型",
    "Autoregressive": "自回归模型",
    "Gaussian": "高斯分布",
    "Train": "训练",
    "Compare": "比较",
    "How it works": "原理讲解",
    "Seed": "种子",
    "Class": "类别",
    "Samples": "样本数",
    "Sample": "采样",
    "Steps": "步数",
    "Frames": "帧数",
    "Frame": "帧",
    "Points": "点数",
    "Draw": "绘制",
    "Run": "运行",
    "Reset": "重置",
    "Stop": "停止",
    "Start": "开始",
    "Pause": "暂停",
    "Download": "下载",
    "Download PNG": "下载 PNG",
    "Download GIF": "下载 GIF",
    "Interpolate": "插值",
    "Interpolation": "插值结果",
    "Temperature": "温度",
    "Position": "位置",
    "Data": "数据",
    "Dataset": "数据集",
    "Family": "模型类别",
    "Sampler": "采样器",
    "Prior": "先验",
    "Prefix": "前缀",
    "Name": "名字",
    "Source": "来源",
    "Guidance": "引导强度",
    "Learning rate": "学习率",
    "Batch": "批大小",
    "Preview every": "预览间隔",
    "Map position": "地图位置",
    "Your numbers": "你的数字",
    "Slider {i}": "滑块 {i}",
    "render on the server": "在服务器上渲染",
    "🔗 Copy link to this picture": "🔗 复制这张图的链接",
    "Link (opens this tab with the same picture)": "链接（打开本标签页并显示同一张图）",
    # ------------------------------------------------------------------ GAN
    "Generated picture": "生成的图像",
    "Truncation ψ (lower = more typical)": "截断 ψ（越低越典型）",
    "Truncation": "截断系数",
    "Direction {n} ({pct}% of variance)": "方向 {n}（占方差的 {pct}%）",
    "Raw latent dimensions (first {n} of {d}: offsets Δz)": "原始潜在维度（共 {d} 维中的前 {n} 维：偏移量 Δz）",
    "Reset sliders": "重置滑块",
    "Sample grid": "样本网格",
    "Draw grid": "绘制网格",
    "Interpolate between two seeds": "在两个种子之间插值",
    "From seed": "起点种子",
    "To seed": "终点种子",
    "Spherical interpolation": "球面插值",
    "Position t on the path (drag me)": "路径上的位置 t（拖动我）",
    "The picture at t": "位置 t 处的图像",
    "2D view: a GAN on 8 Gaussians": "二维视图：在 8 个高斯分布上训练的 GAN",
    "Real vs generated": "真实与生成对比",
    "Classroom mode: train a 2D GAN one D step / one G step per click":
        "课堂模式：每点一次，二维 GAN 的判别器或生成器训练一步",
    "Steps per click": "每次点击的步数",
    "D step": "判别器 D 走一步",
    "G step": "生成器 G 走一步",
    "Real (blue) vs generated (orange) over D's decision map": "真实点（蓝）与生成点（橙），背景为判别器 D 的判决图",
    # ------------------------------------------------------------------ VAE
    "Decoded picture": "解码出的图像",
    "Back to the prior mean (z = 0)": "回到先验均值（z = 0）",
    "The latent map (a 2-dimensional VAE): click anywhere to decode": "潜在空间地图（二维 VAE）：点击任意位置进行解码",
    "Held-out digits encoded, coloured by class (click me)": "留出集数字的编码，按类别着色（点击我）",
    "Decoded point": "解码出的点",
    "Click the map.": "请点击地图。",
    "Manifold: decoded digits over the same plane": "流形：同一平面上解码出的数字",
    "Draw a digit": "手写一个数字",
    "Draw a digit (big, centred)": "写一个数字（写大一点，居中）",
    "Your drawing (28×28) → its reconstruction": "你的手写（28×28）→ 它的重建",
    "Encode": "编码",
    "Resample ε": "重新采样 ε",
    "Prior temperature": "先验温度",
    "Samples from the prior": "从先验采样",
    "Interpolate between two digits": "在两个数字之间插值",
    "From": "起点",
    "class": "类别",
    "To": "终点",
    "Second drawing (for 'my drawing' as To)": "第二张手写（终点选 “我的手绘” 时使用）",
    # ------------------------------------------------------------------ diffusion
    "η (DDIM randomness)": "η（DDIM 随机性）",
    "Guidance w": "引导强度 w",
    "Watch it denoise": "观看去噪过程",
    "x_t (left) and the predicted x̂₀ (right)": "x_t（左）与预测的 x̂₀（右）",
    "Scrub through the stored trajectory": "拖动浏览已保存的轨迹",
    "The forward process: how much of the digit is left at step t?": "前向过程：到第 t 步时数字还剩多少？",
    "Held-out digit": "留出集数字",
    "x₀ and x_t": "x₀ 与 x_t",
    "The noise schedule": "噪声调度",
    "2D particles: the same 2,000 noise points through DDPM and flow matching":
        "二维粒子：同样的 2,000 个噪声点分别经过 DDPM 与流匹配",
    "Steps (each)": "步数（各自）",
    "Run the particles": "运行粒子",
    "Speed vs quality: one seed, four samplers": "速度与质量：同一种子，四种采样器",
    "Compare {a} with {b}": "比较 {a} 与 {b}",
    # ------------------------------------------------------------------ autoregressive
    "Top-k (0 = off)": "Top-k（0 = 关闭）",
    "Step through: one character at a time": "逐步生成：一次一个字符",
    "Start from the prefix": "从前缀开始",
    "Let the model choose": "让模型来选",
    "…or click a character to force it": "……或点击一个字符强制选择它",
    "Score a name: how name-like is it?": "给名字打分：它有多像一个名字？",
    "Any name": "任意名字",
    "Score": "打分",
    # ------------------------------------------------------------------ Gaussian
    "Your numbers (for “my numbers”: 2 to 5,000, commas or spaces)": "你的数字（用于 “我的数据”：2 到 5,000 个，用逗号或空格分隔）",
    "N (built-in sets)": "N（内置数据集）",
    "Learning rate α": "学习率 α",
    "Steps from the first guess": "从初始猜测起的步数",
    "Step once": "走一步",
    # the loss chart's axes and legend (ui/train_views.py curve_update): "run {n}: {series}" with a family's losses
    "loss": "损失", "series": "曲线", "run {n}: {series}": "第 {n} 次运行：{series}",
    "d_loss": "判别器损失", "g_loss": "生成器损失", "d_real": "D(真实)", "d_fake": "D(生成)", "d_class": "判别器类别损失",
    "reconstruction": "重构误差", "kl": "KL 散度", "elbo": "ELBO", "nll": "负对数似然",
    # the kinds of data, as the engine's messages name them ("this gan model is for image data, …")
    "image": "图像", "text": "文本", "points": "二维点", "values": "数值", "melody": "旋律",
    "Run 50 steps": "运行 50 步",
    "Fit from the first guess": "从初始猜测开始拟合",
    "Gradient descent on the NLL": "在负对数似然上做梯度下降",
    "Can a discriminator tell the data from the fit?": "判别器能分辨数据与拟合结果吗？",
    "Train a discriminator against the current fit": "针对当前拟合训练一个判别器",
    "D(x) = sigmoid(a·x² + b·x + c), trained for a fixed number of steps.":
        "D(x) = sigmoid(a·x² + b·x + c)，训练固定的步数。",
    "Real vs fake, and D(x)": "真实与伪造，以及 D(x)",
    # ------------------------------------------------------------------ Train
    "Latent size": "潜在维度",
    "GAN loss": "GAN 损失函数",
    "D steps per G step": "每个 G 步对应的 D 步数",
    "VAE β": "VAE β",
    "Diffusion T": "扩散步数 T",
    "Noise schedule": "噪声调度",
    "Transformer layers": "Transformer 层数",
    "Width": "宽度",
    "Mixture components": "混合成分数",
    "Preview every (steps)": "预览间隔（步）",
    "Your GPU quota is used up for now, so this runs on the CPU.": "你的 GPU 配额暂时用完了，因此改在 CPU 上运行。",
    "No GPU was free, so this runs on the CPU.": "没有空闲的 GPU，因此改在 CPU 上运行。",
    "This needs more GPU time than one call may take, so it runs on the CPU.": "所需的 GPU 时间超过单次调用的上限，因此改在 CPU 上运行。",
    "The GPU call failed, so this runs on the CPU.": "GPU 调用失败，因此改在 CPU 上运行。",
    "{seconds} s of your GPU quota spent": "已用去你的 GPU 配额 {seconds} 秒",
    "**{state}** · step {step} / {total} · {rate} steps/s · {device} · {family}":
        "**{state}** · 第 {step} / {total} 步 · 每秒 {rate} 步 · {device} · {family}",
    "**{state}** · step {step} / {total} · {rate} steps/s · {device}":
        "**{state}** · 第 {step} / {total} 步 · 每秒 {rate} 步 · {device}",
    "**D steps: {d} · G steps: {g}** · {last}": "**D 步数：{d} · G 步数：{g}** · {last}",
    "**D steps: {d} · G steps: {g}**": "**D 步数：{d} · G 步数：{g}**",
    "D loss {loss}; D's mean logit on real {real}, on generated {fake}":
        "D 损失 {loss}；D 在真实数据上的平均 logit 为 {real}，在生成数据上为 {fake}",
    "G loss {loss} (lower: D is fooled more)": "G 损失 {loss}（越低：D 被骗得越多）",
    "waiting: all {n} training slots are busy, you are number {place} in line ({when})":
        "等待中：全部 {n} 个训练名额都在使用，你排在第 {place} 位（{when}）",
    "the wait is estimated once the running runs report their pace": "正在运行的任务报告速度后即可估计等待时间",
    "about {n} s": "约 {n} 秒",
    "about {n} min": "约 {n} 分钟",
    "idle": "空闲", "running": "运行中", "paused": "已暂停", "stopped": "已停止", "finished": "已完成",
    "error": "出错",
    "Losses (earlier runs grey)": "损失曲线（之前的运行为灰色）",
    "Samples from fixed noise": "固定噪声下的样本",
    "2D view": "二维视图",
    "Samples (text)": "样本（文本）",
    "Explore this model": "探索这个模型",
    "Back to the shipped models": "回到内置模型",
    "Upload a checkpoint…": "上传检查点……",
    "Model (.zip: safetensors + JSON)": "模型（.zip：safetensors + JSON）",
    "Download timelapse GIF": "下载延时 GIF",
    "Download curves CSV": "下载曲线 CSV",
    "Export": "导出",
    # ------------------------------------------------------------------ Compare
    "It is often said that GANs are sharp but can collapse, VAEs are blurry, diffusion is best but slow, and text "
    "models are measured by likelihood — here are the numbers for the models shipped here. FID and "
    "precision/recall use the shipped MNIST feature network (99.4% on held-out digits) in place of Inception, "
    "against the 500 held-out digits; the sample count is in the table because FID depends on it.":
        "人们常说：GAN 清晰但可能模式崩溃，VAE 比较模糊，扩散模型最好但很慢，文本模型用似然来衡量——下面是本应用"
        "内置模型的实际数据。FID 与精确率/召回率使用内置的 MNIST 特征网络（在留出集数字上准确率 99.4%）代替 "
        "Inception，对比 500 个留出集数字；表中列出了样本数，因为 FID 与样本数有关。",
    "Same seed through every family": "同一种子走过每一类模型",
    "GAN · VAE (a sample of any class) · Diffusion": "GAN · VAE（任意类别的一个样本）· 扩散模型",
    "Quality of every shipped model": "每个内置模型的质量",
    "Samples per model": "每个模型的样本数",
    "Compute the table": "计算表格",
    "Recompute": "重新计算",
    "Add my trained model (from the Train tab)": "加入我训练的模型（来自训练标签页）",
    "The table opens with the numbers each checkpoint shipped with, from its JSON, at the sample count under "
    "*samples* (— where it has none). *Compute the table* measures every model afresh at the slider's count.":
        "表格打开时显示每个检查点自带的数据（来自其 JSON），样本数见 *样本数* 列（没有的显示 —）。"
        "*计算表格* 会按滑块设定的样本数重新测量每个模型。",
    "Mode collapse: which digits does each model draw when you ask for any?": "模式崩溃：不指定类别时，每个模型会画出哪些数字？",
    "Draw the histogram": "绘制直方图",
    # ------------------------------------------------------------------ server messages (gr.Error, notes)
    "{name} must be a number": "{name}必须是数字",
    "{name} must be a finite number": "{name}必须是有限的数",
    "{name} must be between {lo} and {hi}": "{name}必须在 {lo} 到 {hi} 之间",
    "{name} must be a whole number": "{name}必须是整数",
    "{name} must be one of: {options}": "{name}必须是以下之一：{options}",
    "{name} must be text": "{name}必须是文本",
    "{name} is longer than {n} characters": "{name}超过了 {n} 个字符",
    "expected {n} slider values, got {m}": "应有 {n} 个滑块值，实际收到 {m} 个",
    "expected {n} latent values, got {m}": "应有 {n} 个潜在变量值，实际收到 {m} 个",
    "Draw a digit first.": "请先写一个数字。",
    "The canvas is empty: draw a digit (a single stroke is enough), then press Encode.":
        "画布是空的：写一个数字（一笔就够），然后按“编码”。",
    "The drawing has an unexpected format.": "手写图像的格式不符合预期。",
    "click a point on the map": "请在地图上点击一个点",
    "Run 'Watch it denoise' first.": "请先运行“观看去噪过程”。",
    "Press 'Run the particles' first.": "请先点击“运行粒子”。",
    "The prefix may only use letters a–z (got {bad}).": "前缀只能使用字母 a–z（收到 {bad}）。",
    "Only letters a–z can be scored (got {bad}).": "只能给由字母 a–z 组成的名字打分（收到 {bad}）。",
    "The name is as long as the model allows.": "名字已经达到模型允许的最大长度。",
    "Pick one of the characters shown.": "请从显示的字符中选一个。",
    "Type a name to score.": "请输入要打分的名字。",
    "Out of GPU memory: the run was stopped and its memory freed. Try a smaller batch or model.":
        "GPU 内存不足：本次运行已停止并释放内存。请尝试更小的批大小或模型。",
    "The run failed at step {step}: it was stopped and its memory freed (the server's log says why). Press Start to begin a new run.":
        "运行在第 {step} 步失败：已停止并释放内存（原因见服务器日志）。按“开始”重新运行。",
    "Train a model first: there are no loss curves yet.": "请先训练一个模型：现在还没有损失曲线。",
    "Train an image or 2D model first: the timelapse is made of its previews (text models show names instead).":
        "请先训练一个图像或二维模型：延时动画由它的预览组成（文本模型显示的是名字）。",
    "expected {n} values, got {m}": "应有 {n} 个值，实际收到 {m} 个",
    "no browser session: open the app in a browser to explore a trained model":
        "没有浏览器会话：请在浏览器中打开本应用，才能探索训练好的模型",
    "Train or upload a model first": "请先训练或上传一个模型",
    "Train a model in the Train tab and press 'Explore this model' first.": "请先在训练标签页训练一个模型，并点击“探索这个模型”。",
    "Choose a .zip of images, a .txt file or a .npy of points to upload": "请选择要上传的图片 .zip、.txt 文件或点集 .npy",
    "checkpoint files are limited to 80 MB": "检查点文件不能超过 80 MB",
    "the .zip is not a zip archive": "这个 .zip 不是 zip 压缩包",
    "Choose a checkpoint: a .zip, or its .safetensors and .json files together": "请选择检查点：一个 .zip，或同时选择它的 .safetensors 和 .json 文件",
    "a checkpoint needs both its .safetensors weights and its .json config": "检查点需要同时包含 .safetensors 权重和 .json 配置",
    "the checkpoint cannot be read: {why}": "无法读取检查点：{why}",
    "🧪 **Your model from the Train tab** draws in {where} ({params} parameters, {ds}, step {steps}). "
    "Train tab → *Back to the shipped models* undoes it.":
        "🧪 **你在训练标签页训练的模型** 正在{where}中绘制（{params} 个参数，{ds}，第 {steps} 步）。"
        "训练标签页 → *回到内置模型* 可以撤销。",
    "🧪 **Your model from the Train tab** draws in {where} ({params} parameters, step {steps}). "
    "Train tab → *Back to the shipped models* undoes it.":
        "🧪 **你在训练标签页训练的模型** 正在{where}中绘制（{params} 个参数，第 {steps} 步）。"
        "训练标签页 → *回到内置模型* 可以撤销。",
    "Your {family} model (step {step}) now draws in the **{tab}** tab{view}, for this browser session only; in the "
    "Compare tab, 'Add my trained model' measures it beside the shipped ones.":
        "你的 {family} 模型（第 {step} 步）现在在 **{tab}** 标签页{view}中绘制，仅限本浏览器会话；在比较标签页中，"
        "“加入我训练的模型”会把它与内置模型放在一起测量。",
    " (its 2D view)": "的二维视图",
    "The family tabs draw with the shipped models again.": "各模型标签页重新使用内置模型绘制。",
    "this {family} checkpoint trains on {kind} data; choose a dataset of that kind ({dataset} is {other})":
        "这个 {family} 检查点使用 {kind} 数据训练；请选择同类的数据集（{dataset} 是 {other}）",
    "the main view": "主视图", "the 2D view": "二维视图", "this tab": "本标签页",
    # ------------------------------------------------------------------ choices' shown names (values stay English)
    "any": "任意",
    "fitted to the encoded digits": "拟合编码后的数字",
    "held-out example": "留出样本",
    "my drawing": "我的手绘",
    "normal": "正态", "bimodal": "双峰", "skewed": "偏斜", "my numbers": "我的数据",
    "gan": "生成对抗网络 (gan)", "vae": "变分自编码器 (vae)", "diffusion": "扩散模型 (diffusion)",
    "autoregressive": "自回归模型 (autoregressive)", "gaussian": "高斯分布 (gaussian)",
    "upload (.zip of images / .txt)": "上传（图片 .zip / .txt）",
    "cosine": "余弦 (cosine)", "linear": "线性 (linear)",
    **ERRORS,                 # the server's error messages: ui/i18n/zh_CN_errors.py
    **music.TEXTS,            # the melody views: ui/i18n/zh_CN_music.py
    # ------------------------------------------------------------------ matplotlib figures (I.localize_figure)
    "held-out digits": "留出集数字",
    "class (read by the feature network)": "类别（由特征网络判读）",
    "share of samples": "样本占比",
    "ᾱ_t (signal²)": "ᾱ_t（信号²）",
    "1 − ᾱ_t (noise²)": "1 − ᾱ_t（噪声²）",
    "noise x_T": "噪声 x_T",
    "DDPM (ε-prediction)": "DDPM（ε 预测）",
    "flow matching": "流匹配",
    "{name}, {sampler} step {k} / {n}\n{covered}/8 modes, {pct} within 3σ":
        "{name}，{sampler} 第 {k} / {n} 步\n覆盖 {covered}/8 个模式，{pct} 在 3σ 以内",
    "real": "真实", "generated": "生成", "particles": "粒子",
    "{dataset}: real (grey) vs generated (orange)": "{dataset}：真实（灰）与生成（橙）",
    "step {step}": "第 {step} 步",
    "encoded held-out digits ({axes})": "编码后的留出集数字（{axes}）",
    "principal axes of μ": "μ 的主轴",
    "held-out digits (top) and their reconstructions": "留出集数字（上）与它们的重构",
    "after {d} D steps and {g} G steps": "D 走了 {d} 步、G 走了 {g} 步之后",
    "gradient descent, step {step}": "梯度下降，第 {step} 步",
    "closed form": "闭式解",
    "The data and the two fits": "数据与两种拟合",
    "the closed form's NLL": "闭式解的负对数似然",
    "NLL per step (nats per number)": "每一步的负对数似然（每个数的奈特数）",
    "as many samples of the fit": "同样数量的拟合样本",
    "Samples of the fit against the data": "拟合的样本与数据对比",
    "real (the data)": "真实（数据）",
    "fake (samples of the fit)": "伪造（拟合的样本）",
    "D(x): P(real)": "D(x)：P(真实)",
    "Discriminator accuracy {acc}%": "判别器准确率 {acc}%",
    "means": "均值",
    "the fit ({k} component)": "拟合结果（{k} 个成分）",
    "the fit ({k} components)": "拟合结果（{k} 个成分）",
    "closed form (one Gaussian)": "闭式解（单个高斯分布）",
    "data": "数据", "step": "步", "samples": "样本",
    # server-made lines (I.tr in ui/diffusion.py forward, ui/compare.py side_by_side)
    "t = {t}: {a} × the digit + {b} × noise": "t = {t}：{a} × 数字 + {b} × 噪声",
    "{dataset} from the same seed: {names}": "同一种子生成的{dataset}：{names}",
    "Names": "名字", "Surnames": "姓氏", "Poems": "诗",
    # ------------------------------------------------------------------ autoregressive: Tang quatrains (issue 22)
    "Corpus": "语料",
    "free": "自由",
    "Form: characters a line": "格式：每句字数",
    "Acrostic: 4 characters that start the lines (with a form)": "藏头：4 个字，依次作每句的首字（需选格式）",
    "Score a name (or a poem): how much does it surprise the model?": "给名字（或诗）打分：它让模型有多意外？",
    "Any name, or a poem for the poems corpus": "任意名字；语料选 poems 时为一首诗",
    "The form does not allow that character here (it is masked).": "格式不允许这里出现这个字（它被屏蔽了）。",
    "The acrostic must be exactly 4 characters, one for each line (got {n}).": "藏头必须正好是 4 个字，每句一个（收到 {n} 个）。",
    "The prefix may only use characters the poem model knows (not {bad}).": "前缀只能使用诗歌模型认识的字（不能用 {bad}）。",
    "The acrostic may only use characters the poem model knows (not {bad}).": "藏头只能使用诗歌模型认识的字（不能用 {bad}）。",
    "Only characters the poem model knows can be scored (not {bad}).": "只能给诗歌模型认识的字打分（不能用 {bad}）。",
    "At most {n} characters can be scored.": "最多只能给 {n} 个字符打分。",
    "The poem is as long as the model allows.": "这首诗已达到模型允许的最大长度。",
    "Type a poem to score.": "请输入一首诗来打分。",
    "an acrostic needs a form: give form 5 or 7 with it": "藏头需要格式：请同时选择五言或七言",
    "form and acrostic are for poem models: this model's vocabulary has no ， and 。 (autoregressive-poems has them)":
        "格式与藏头只适用于写诗的模型：这个模型的词表里没有 ， 和 。（autoregressive-poems 有）",
    # ------------------------------------------------------------------ rhyme and tones (issue 30)
    "Rhyme": "押韵",
    "Rhyme must be true or false.": "押韵只能是 true 或 false。",
    "{name} must be true or false.": "{name}只能是 true 或 false。",
    "rhyme must be true or false": "rhyme 只能是 true 或 false",
    "rhyme needs a form: give form 5 or 7 with it": "押韵需要格式：请同时选择五言或七言",
    "{char}: {got} here, the {pattern} pattern wants {want}": "{char}：此处为{got}，{pattern}格律应为{want}",
    "the tonal pattern this poem is checked against: 平起 (level start) or 仄起 (oblique start)":
        "这首诗对照的平仄格律：平起或仄起",
    "breaks the tonal pattern (平仄) named beside its poem at a line's 2nd, 4th or 6th character, with tones "
    "read from modern Mandarin: an approximation (How it works says why).":
        "在句中第二、四、六字处不合诗旁所注的平仄格律；声调按现代普通话读出，只是近似（原因见“工作原理”）。",
    # ------------------------------------------------------------------ the image tabs' model picker (issue 20: emoji)
    "Model": "模型", "Digits (MNIST)": "手写数字（MNIST）", "Emoji (Twemoji)": "表情符号（Twemoji）",
    "Smileys & Emotion": "笑脸与情感", "People & Body": "人物与身体", "Animals & Nature": "动物与自然",
    "Food & Drink": "食物与饮料", "Travel & Places": "旅行与地点", "Activities": "活动", "Objects": "物品",
    "Symbols": "符号", "Flags": "旗帜",
    "Emoji group": "表情符号类别",
    "This map is a 2-dimensional VAE of the digits (vae-mnist-2d): digits only, whichever model is picked above.":
        "这张地图来自一个 2 维的手写数字 VAE（vae-mnist-2d）：无论上面选了哪个模型，它都只显示手写数字。",
    "*Draw a digit* is for the digits' model: pick **digits** above to draw one.":
        "*手写一个数字* 只适用于手写数字模型：在上面选择 **手写数字** 即可画一个。",
    "Drawings are digits: for emoji, interpolate between held-out examples.":
        "手绘图只能是数字：表情符号请在留出样本之间插值。",
    # ------------------------------------------------------------------ the Autoregressive tab's own HTML (issue 33)
    "in training data": "在训练数据中", "new": "新",
    "{new} of {n} are new": "{n} 个中有 {new} 个是新的",
    "form {n}": "每句 {n} 字", "acrostic {text}": "藏头 {text}", "rhyme": "押韵",
    "sampled ({what})": "采样（{what}）", "T = 0: always the likeliest": "T = 0：总是选最可能的",
    "no cut": "不截断", "mask": "屏蔽", "cut": "截断", "cut: never drawn": "截断：永远不会被抽到",
    ": the form forbids it": "：格式不允许它",
    "Next character: the {n} likeliest": "下一个字符：最可能的 {n} 个", "model (T = 1)": "模型（T = 1）",
    "The other {rest} characters hold {pm} of the model's probability and {ps} of the sampled one.":
        "其余 {rest} 个字符占模型概率的 {pm}，占采样概率的 {ps}。",
    "The other {rest} characters hold {pm} of the model's probability and {ps} of the sampled one ({cut} of them "
    "cut).": "其余 {rest} 个字符占模型概率的 {pm}，占采样概率的 {ps}（其中 {cut} 个被截断）。",
    "The other {rest} characters hold {pm} of the model's probability and {ps} of the sampled one ({cut} of them "
    "cut, {mask} by the form's mask).":
        "其余 {rest} 个字符占模型概率的 {pm}，占采样概率的 {ps}（其中 {cut} 个被截断，{mask} 个被格式屏蔽）。",
    " (it is in the training data)": "（它在训练数据中）",
    "Mean surprise {mean} nats per character, total {total} nats:": "平均每个字符意外度 {mean} 奈特，共 {total} 奈特：",
    "very poem-like": "非常像诗", "plausible": "说得过去", "not very poem-like": "不太像诗",
    "very name-like": "非常像名字", "not very name-like": "不太像名字",
    ". Hover a character for its −log p.": "。把鼠标停在一个字上，可以看到它的 −log p。",
    ". Hover a letter for its −log p.": "。把鼠标停在一个字母上，可以看到它的 −log p。",
    # choices whose values the API keeps (issue 33): corpora, samplers, data sets
    "names": "英文名字", "poems": "唐诗", "surnames": "英文姓氏",
    "euler": "欧拉法 Euler", "heun": "Heun 法", "ddim": "扩散采样器 DDIM", "ddpm": "扩散采样器 DDPM",
    "mnist": "手写数字 MNIST", "emoji": "表情符号", "8gaussians": "八个高斯团", "25gaussians": "二十五个高斯团",
    "ring": "圆环", "spiral": "螺旋", "moons": "双月牙", "swissroll": "瑞士卷", "checkerboard": "棋盘格",
    "upload (.zip of images / .txt)": "上传（图片 .zip / .txt）",
    "bce": "二元交叉熵（非饱和）", "hinge": "合页损失", "wgan-gp": "Wasserstein 距离 + 梯度惩罚",
}

LONG: dict[str, str] = {
    "lesson.rhyme": r"""**押韵与平仄。** 勾选*押韵*后，句末也被屏蔽：第四句的末字必须与第二句的末字押韵（七言还要求第二句与第一句押韵），且不得重复该字。韵按字的拼音韵母划分，不计声调和介音，共 13 个韵部（光 guang、霜 shuang、乡 xiang 同押 -ang 韵）。诗的列表中，句中第二、四、六字不合平仄格律的字加下划线标出（一三五不论，二四六分明），对照的是平起或仄起两式中与首句更相合的一式，式名注在每首诗旁。第一、二声算平，第三、四声算仄。这只是近似：韵和声调都按现代普通话读出，而唐代的入声已分派进现代的四个声调，所以有些今天读平声的字在当时是仄声（泊 bó、白 bái、国 guó）。""",
    "lesson.poems": r"""**诗。** *唐诗* 语料是 13,744 首唐代绝句：四句，每句 5 或 7 个字，句末依次为 ，。，。。选定格式后，采样器在温度和截断之前先屏蔽下一个字的分布：句中不许出现标点和结束符，句末只许出现正确的标点，四句之后只许结束（藏头用同样的方法强制每句的首字）。逐步生成时，被屏蔽的字标为 *屏蔽*：即使是未经训练的模型也遵守格式。""",
    "header": r"""# Latent Lab 潜在空间实验室
可以亲手操作的生成模型：拖动潜在变量滑块、挑一个种子、看噪声变成数字、现场训练一个模型。每个标签页都运行真实的模型（内置于 `checkpoints/`）：拖动在 CPU 上即时计算，繁重的工作有 GPU 时在 GPU 上运行。""",

    "lesson.gan": r"""**原理讲解。** 生成器 $G$ 把噪声 $z \sim \mathcal N(0, I)$（以及类别 $y$）映射成一个数字；判别器 $D$ 学习分辨真实数字与生成的数字，而 $G$ 学习骗过它：$\min_G \max_D\; \mathbb E_x[\log D(x)] + \mathbb E_z[\log(1 - D(G(z)))]$。

**滑块** 让 $z$ 沿生成器第一层的 *主方向* 移动（GANSpace，Härkönen 等，2020）：这些方向最能改变图像。$z$ 的原始维度单独拿出来几乎没有意义。

**试一试：** ① 选类别 7，拖动 *方向 1*：笔画的倾斜或粗细会变化，而数字仍然是 7。② 把截断系数设为 0.3，多按几次 🎲：样本更干净，也更相似（多样性降低）。③ 在两个种子之间插值：中间的每一帧都是像样的数字——潜在空间是平滑的。""",

    "lesson.vae": r"""**原理讲解。** 编码器把数字 $x$ 映射成潜在变量上的一个高斯分布 $q(z\mid x)=\mathcal N(\mu,\sigma^2)$；解码器再把 $z$ 映射回像素。训练时最大化证据下界 $\text{ELBO} = \mathbb E_{q(z\mid x)}[\log p(x\mid z)] - \beta\,\mathrm{KL}(q(z\mid x)\,\|\,\mathcal N(0,I))$。

**KL 项** 把每个后验都拉向先验 $\mathcal N(0, I)$，所以潜在空间里的“空洞”很少：随手挑的 $z$ 大多能解码成像数字的东西。是很少，而不是没有：编码后的数字并没有均匀地填满 $\mathcal N(0, I)$，落在它们之间的先验样本会解码成模糊的非数字。样本网格的 *先验* 开关把 $\mathcal N(0, I)$ 与一个混合高斯分布作比较，后者拟合的是训练数字被编码到的位置（同一个解码器；在 1,000 个样本上 FID 从 378 降到 98）。**为什么比 GAN 模糊？** 解码器是在逐像素似然下训练重建的，所以它拿不准时就预测各种可能数字的 *平均*——也就是一团模糊；而 GAN 的判别器会惩罚一切看起来不真实的东西。

**试一试：** ① 在潜在空间地图上到处点一点：相邻的点解码成相似的数字；颜色之间的边界就是 4 变成 9 的地方。② 写一个数字，按 *编码*，再按几次 *重新采样 ε*：那种抖动就是后验的离散程度 σ。③ 一次只动一个滑块：大多数维度只改变数字的一个方面（倾斜、宽度、粗细）。""",

    "lesson.diffusion": r"""**原理讲解。** *前向过程* 在 $T = 1000$ 步中每步加一点高斯噪声，直到数字变成纯噪声：$q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0,\,(1-\bar\alpha_t) I)$。UNet 学习 $\varepsilon_\theta(x_t, t, y)$，即被加入的噪声，方法是最小化 $\lVert \varepsilon - \varepsilon_\theta \rVert^2$。*反向过程* 从噪声出发，一步步去噪：预测给出 $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon)/\sqrt{\bar\alpha_t}$，DDPM 再从 $q(x_{t-1}\mid x_t, \hat x_0)$ 中抽取 $x_{t-1}$。**DDIM** 沿着同一个训练好的网络一次跳过很多步（$\eta = 0$：确定性）。**引导** $w$ 混合有条件与无条件的预测，$\hat\varepsilon = \varepsilon_\varnothing + w(\varepsilon_y - \varepsilon_\varnothing)$：$w$ 越高，生成的越是所要求类别的典型数字，多样性越低。

**流匹配**（内置的数字模型，以及二维粒子的右侧面板）用同一个网络在一条直线路径上训练：$x_t = (1-t)\,x_0 + t\,\varepsilon$，其中 $t \in [0, 1]$，网络预测速度 $v_\theta(x_t, t) \approx \varepsilon - x_0$，方法是最小化 $\lVert (\varepsilon - x_0) - v_\theta \rVert^2$。采样时从 $t = 1$（噪声）到 $0$ 积分 $dx/dt = v_\theta$，用欧拉步 $x_{t-\Delta} = x_t - \Delta\, v_\theta$（Heun 方法取两个斜率的平均）。DDPM 的 $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon$ 让路径弯曲，而直线路径所需的步数少得多；引导对 $v$ 的混合方式与对 $\varepsilon$ 完全相同。

**试一试：** ① 把 *步数* 从 10 拖到 1：数字能坚持得出乎意料地久，然后才散架。② 观看去噪过程：右边的 $\hat x_0$ 起初是模糊的猜测，随着噪声离开 $x_t$ 而逐渐清晰。③ 用同一种子比较采样器：Heun-100 对比 Euler-25/10/3（DDPM 模型则是 DDPM-1000 对比 DDIM-50/25/10），用少得多的时间得到相似的数字。④ 二维粒子先用 10 步，再用 3 步：流匹配近乎笔直的路径仍能找到全部八个模式，DDPM 弯弯绕绕的路径则不能。只用 1 步时，每个流匹配粒子都落在数据的均值上，位于各模式之间。""",

    "lesson.autoregressive": r"""**原理讲解。** 概率的链式法则把任何名字写成逐个“下一个字符”选择的乘积：$p(\text{name}) = \prod_t p(x_t \mid x_{<t})$，外加一个特殊的结束符。一个小型 Transformer（因果自注意力：每个位置只能往左看）预测每个下一个字符；采样时抽出一个字符，把它接上，再接着问。*KV 缓存* 保存之前字符的键和值，所以每一步的代价相同。

**温度** 在 softmax 之前除以 logits：$p_i \propto e^{z_i / T}$。低 $T$ 让分布更尖锐（稳妥、常见的名字；$T = 0$ 总是选最可能的字符），高 $T$ 让分布更平坦（古怪、新奇的名字）。**Top-k** 只保留最可能的 k 个字符；**top-p** 保留概率总和达到 p 的最小集合。

**试一试：** ① 把温度设为 0.1：反复出现同样几个名字，几乎都在训练数据里。把它调到 1.5：大多是新名字，有些念都念不出来。② 用前缀 “ja” 逐步生成：观察每个字符之后的柱状图；点击一个低概率的字母强制选它。③ 给你自己的名字打分，再试一串乱敲的键盘字母：颜色显示哪些字母让模型感到意外。""",

    "lesson.gaussian": r"""**原理讲解。** 生成模型就是一个我们既能从中采样、又能打分的概率分布。最简单的是正态分布 $\mathcal{N}(\mu, \sigma^2)$。*最大似然* 挑选让数据概率最大的 $\mu, \sigma$，也就是使负对数似然最小的那组参数

$$L(\mu, \sigma) = -\sum_i \log \mathcal{N}(x_i; \mu, \sigma^2) = \sum_i \Big[\log \sigma + \tfrac12 \log 2\pi
+ \frac{(x_i - \mu)^2}{2\sigma^2}\Big]$$

（图中显示的是 $L/N$，即每个数的奈特数）。**梯度下降** 反复执行 $\theta \leftarrow \theta - \alpha\,
\partial L / \partial \theta$，其中 $\theta = (\mu, \log \sigma)$（用 log σ 保证 σ 为正），学习率为 $\alpha$：这里 $\partial L / \partial \mu = -\sum_i (x_i - \mu) / \sigma^2$，$\partial L / \partial \log\sigma = \sum_i \big[1 - (x_i - \mu)^2 / \sigma^2\big]$。对单个高斯分布，答案有闭式解（虚线）：$\hat\mu = \frac1N \sum_i x_i$ 和 $\hat\sigma^2 = \frac1N \sum_i (x_i - \hat\mu)^2$（是 1/N，而不是无偏的 1/(N−1)）。梯度下降会落到这个解上，而同样的循环也训练着本实验室里其他所有模型——它们都没有闭式解。（这些数先被放到统一的尺度上：以中位数为中心，再除以离散程度，所以同一个 α 适用于任意大小的数；μ 和 σ 以你的单位显示。）

**你能分辨吗？** 判别器 $D(x) = \mathrm{sigmoid}(a x^2 + b x + c)$（二次函数，所以它能分辨过宽和过窄的正态分布）被训练成对数据说“真”、对拟合分布的样本说“假”。面对糟糕的拟合，它大多数时候是对的；随着拟合变好，它的准确率降向 50%：它分辨不出来了。GAN 把这件事反过来：它的生成器学着让判别器无从分辨，完全不需要似然。

**试一试：** ① 从初始猜测开始按几次 *走一步*：σ 先变大，然后 μ 滑过去。② 把 α 设为 1.1：负对数似然曲线呈锯齿状，σ 冲过了头（这里 α 必须小于 1）。③ 选择 *双峰*：拟合落在闭式解上，而判别器仍能分辨：一个峰无法成为两个峰。混合高斯分布可以（`gaussian` 模型类别加上 `--components 2`，用同样的方法拟合：`python -m generators train gaussian --dataset my.npy
--components 2`）。""",

    "lesson.train": r"""**现场训练一个模型。** 选一个模型类别和一个数据集，按 **开始**，观察损失和样本（始终来自同一组固定噪声）如何随着学习而变化。**暂停** 会保留这次运行；**开始** 继续运行；**走一步** 只运行一步。已完成的运行以灰色留在图上，所以改一个设置就能对比。在二维数据集上，GAN 会显示判别器的看法（红色：“真”），以及生成器被推动方向的箭头。""",

    "lesson.train_more": r"""**原理讲解。** 每个模型类别都用同一个循环训练：取一个批次，计算该类别的损失 $L(\theta)$（GAN：两个玩家各自的损失；VAE：$-$ELBO；扩散模型：$\lVert\varepsilon - \varepsilon_\theta\rVert^2$；自回归模型：下一个字符的交叉熵），然后沿梯度方向更新权重，$\theta \leftarrow \theta - \eta\,\nabla_\theta L$（Adam 为每个权重自适应调整 $\eta$）。

**试一试：** ① 在 *八个高斯团* 上训练 GAN，按开始：橙色的点一个接一个地找到八个模式；看红/蓝判决图如何追着它们跑。② 停止，把学习率设为 0.01 再开始：把新曲线与灰色曲线对比。③ 在 *手写数字 MNIST* 上训练潜在维度为 2 的 VAE，然后 *下载延时 GIF*：样本会越来越清晰。""",

    "lesson.compare": r"""**原理讲解。** 图片在一个随应用内置的小型 MNIST 分类器的特征空间中比较（代替 Inception）。**FID** 分别对真实特征和生成特征拟合一个高斯分布，并测量两者的距离，$\text{FID} = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{Tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$（越低越好）。**精确率**：有多少样本像某个真实数字；**召回率**：有多少真实数字有某个样本与之相像。名字按留出集上每个字符的负对数似然打分。

**试一试：** ① 同一种子、类别 7，走过每一类模型：哪个最清晰，哪个最多样？② 先用 200 个、再用 1,000 个样本计算表格：FID 随样本数增加而下降——只能同等条件下比较。③ 绘制模式崩溃直方图：直方图平坦，说明每个数字被画出的频率相同。""",

    "classroom.intro": r"""**课堂模式。** 你是两位玩家的教练。**判别器 D 走一步** 训练判别器一次：观察热力图（红色：D 认为“真”）移向真实点（蓝色）、远离生成的点（橙色）。**生成器 G 走一步** 训练生成器一次：橙色的点沿黑色箭头移动，顺着 D 的坡度爬向“真”。试试看：① 按 5 次 D 走一步，G 一次也不按：D 赢了，它的地图把真与假分开了。② 然后交替按 G、D、G、D……：橙色的点追逐各个模式。③ 只按很多次 G 走一步：G 对一个过时的 D 过拟合，点都堆到一个区域——这就是慢动作的模式崩溃。""",
}
LONG.update(music.LONG)


# Texts the page translates itself (ui/js/50-i18n-page.js, from app.py's <head>): inside the Compare table, the
# Gaussian summary and the lessons' SVG diagrams, whose values stay English for the API. A text node whose whole
# trimmed text is a key (or matches a template's {placeholders}) shows the Chinese on a Chinese page.
PAGE: dict[str, str] = {
    # ------------------------------------------------------------------ the Compare table (ui/compare.py COLUMNS)
    "model": "模型", "parameters": "参数量", "samples": "样本数", "class accuracy": "类别准确率",
    "FID ↓": "FID ↓", "FID-b ↓": "FID-b ↓", "background dots ↓": "背景杂点 ↓", "precision": "精确率", "recall": "召回率", "classes covered": "覆盖的类别",
    "modes covered": "覆盖的模式", "NLL/point ↓": "NLL/点 ↓", "NLL/char ↓": "NLL/字符 ↓",
    "bigram NLL/char": "二元组 NLL/字符", "new": "新颖率", "ms per sample": "每个样本毫秒数",
    "real digits (FID floor)": "真实数字（FID 下限）", "real emoji (FID floor)": "真实表情符号（FID 下限）",
    "real {group} (FID floor)": "真实 {group}（FID 下限）",
    "yours ({family})": "你的模型（{family}）",
    # ------------------------------------------------------------------ the Gaussian summary (ui/gaussian.py summary)
    "NLL (nats per number)": "负对数似然（每个数的奈特数）",
    "gradient descent, step {step}": "梯度下降，第 {step} 步",
    "closed form (mean, 1/N std)": "闭式解（均值，1/N 标准差）",
    "N = {n} numbers · |μ − μ̂| = {dmu}, |σ − σ̂| = {dsigma} · a discriminator tells the data from this fit {pct}% "
    "of the time (50%: it cannot)":
        "N = {n} 个数 · |μ − μ̂| = {dmu}，|σ − σ̂| = {dsigma} · 判别器有 {pct}% 的时候能分辨数据与这个拟合（50%：分辨不出）",
    # ------------------------------------------------------------------ the lessons' diagrams (ui/lessons.py, gaussian)
    "noise z": "噪声 z", "class y": "类别 y", "Generator G": "生成器 G", "fake x̃": "伪造 x̃",
    "real digit x": "真实数字 x", "from MNIST": "来自 MNIST", "Discriminator D": "判别器 D",
    "real or fake?": "真还是假？",
    "G's update: gradients through D push x̃ toward “real”": "G 的更新：穿过 D 的梯度把 x̃ 推向“真”",
    "D's update: push D(real) ↑ and D(fake) ↓": "D 的更新：让 D(真) ↑、D(假) ↓",
    "GAN: a generator and a discriminator trained against each other": "GAN：相互对抗训练的生成器与判别器",
    "digit x": "数字 x", "Encoder": "编码器", "mean": "均值", "spread": "离散程度", "Decoder": "解码器",
    "reconstruction": "重建",
    "KL(q(z|x) ‖ N(0, I)): keeps the latent space without holes": "KL(q(z|x) ‖ N(0, I))：让潜在空间没有空洞",
    "reconstruction term: log p(x | z) — how well x̂ matches x": "重建项：log p(x | z)——x̂ 与 x 有多吻合",
    "sliders / latent map set z directly": "滑块 / 潜在空间地图直接设定 z",
    "VAE: encode to a Gaussian, sample z, decode": "VAE：编码成高斯分布，采样 z，再解码",
    "digit": "数字", "a little noise": "一点噪声", "half noise": "一半噪声", "pure noise": "纯噪声",
    "predicts the added noise": "预测加入的噪声",
    "black →  forward process q(x_t | x₀) = N(√ᾱ_t x₀, (1 − ᾱ_t) I): fixed, no learning":
        "黑色 →  前向过程 q(x_t | x₀) = N(√ᾱ_t x₀, (1 − ᾱ_t) I)：固定的，无需学习",
    "orange ←  reverse process: x_{t−1} from x_t and the UNet's predicted noise":
        "橙色 ←  反向过程：由 x_t 和 UNet 预测的噪声得到 x_{t−1}",
    "DDIM skips steps; guidance w mixes the predictions with and without the class y":
        "DDIM 跳过若干步；引导强度 w 混合有类别 y 与无类别 y 的预测",
    "Diffusion: add noise step by step, learn to remove it": "扩散模型：一步步加噪声，再学会把它去掉",
    "⟨start⟩": "⟨开始⟩",
    "Transformer (causal self-attention)": "Transformer（因果自注意力）",
    "each position looks only left": "每个位置只往左看",
    "top-k / top-p cut the tail": "top-k / top-p 截掉长尾",
    "sample → “i”": "采样 → “i”",
    "append it and ask again, until ⏎ (end)": "接上它再问一次，直到 ⏎（结束）",
    "Autoregressive: one character at a time": "自回归模型：一次一个字符",
    "a batch": "一个批次", "of your data": "来自你的数据", "loss → ∇ → optimizer": "损失 → ∇ → 优化器",
    "loss curves": "损失曲线", "every step": "每一步", "fixed noise, every N": "固定噪声，每 N 步",
    "repeat: θ ← θ − η ∇L(θ)": "重复：θ ← θ − η ∇L(θ)",
    "Training: the same loop for every family": "训练：每类模型都用同一个循环",
    "same seed": "同一种子", "and class": "和类别", "GAN": "生成对抗网络", "VAE": "变分自编码器",
    "Diffusion": "扩散模型", "feature network": "特征网络", "MNIST classifier": "MNIST 分类器",
    "FID, precision/recall": "FID、精确率/召回率", "vs held-out digits": "对比留出集数字",
    "did it draw the asked digit?": "画出所要求的数字了吗？",
    "Compare: one yardstick for every family": "比较：每类模型用同一把尺子",
    "your numbers xᵢ": "你的数字 xᵢ", "normal, bimodal, …": "正态、双峰……", "the model": "模型",
    "closed form": "闭式解", "μ̂ = mean, σ̂² = 1/N Σ": "μ̂ = 均值，σ̂² = 1/N Σ", "samples of the fit": "拟合的样本",
    "discriminator D": "判别器 D",
    "real or fitted? → 50%": "真实还是拟合？→ 50%",
    "gradient descent: θ ← θ − α ∂L/∂θ": "梯度下降：θ ← θ − α ∂L/∂θ",
    "Gaussian: maximum likelihood by gradient descent, then a discriminator's test":
        "高斯分布：用梯度下降做最大似然，再用判别器检验",
}
PAGE.update(music.PAGE)

# Gradio's own frontend keys that its zh-CN (and en) lists lack, seen on the page in 6.31: key → (English, Chinese)
GRADIO: dict[str, tuple[str, str]] = {
    "common.complete": ("complete", "完成"),                                   # the status tracker's announcement
    "image_editor.select_draw_tool": ("select the draw tool to start", "选择绘图工具后开始"),
}
