from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.frustration import FrustrationAnnotator


def test_every_parsed_message_carries_its_frustration():
    annotator = FrustrationAnnotator()
    calm, angry, button = (Message.build(text=t) for t in (
        "where is my order?", "THIS IS THE THIRD TIME!!! you useless idiots", "/affirm"))
    annotator.process([calm, angry, button])
    assert calm.get("frustration")["level"] == "calm"
    assert angry.get("frustration")["level"] == "angry"
    assert "insult" in angry.get("frustration")["signals"]
    assert "frustration" in angry.output_properties
    assert button.get("frustration") is None


def test_training_data_passes_through_untouched():
    data = TrainingData([Message.build(text="hello", intent="greet")])
    assert FrustrationAnnotator().process_training_data(data) is data
