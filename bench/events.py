"""Inputs of the other families' named events, as a slider drag sends them (i moves the dragged slider)."""


def vae_payload(i):
    return [round(-3 + (i % 120) * 0.05, 2)] + [0.0] * 15


def diffusion_payload(i):
    # one digit, DDIM, a steps value that moves like a drag between 10 and 25
    return [0, "3", "euler", 10 + i % 16, 0.0, 2.0, 1]


def autoregressive_payload(i):
    return [0, round(0.5 + (i % 30) * 0.05, 2), 0, 1.0, "", 32]


EVENTS = {"vae_render": vae_payload, "diffusion_render": diffusion_payload,
          "autoregressive_sample": autoregressive_payload}
