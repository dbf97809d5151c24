"""pynetdicom as a test oracle: same command-set bytes, and each side reassembles the other's PDVs."""
from __future__ import annotations

import io

import pytest

pynetdicom = pytest.importorskip("pynetdicom")
from pydicom.dataset import Dataset as PydicomDataset  # noqa: E402
from pynetdicom import dimse_messages as pm  # noqa: E402
from pynetdicom import dimse_primitives as pp  # noqa: E402
from pynetdicom.dsutils import encode as pyd_encode  # noqa: E402
from pynetdicom.pdu_primitives import P_DATA  # noqa: E402

from dicomcore.dimse import decode as dc  # noqa: E402
from dicomcore.dimse import fragment as fr  # noqa: E402
from dicomcore.dimse import messages as ms  # noqa: E402
from dicomcore.pdu.pdus import PDV  # noqa: E402

CT = "1.2.840.10008.5.1.4.1.1.2"
FIND = "1.2.840.10008.5.1.4.1.2.2.1"


def _identifier() -> bytes:
    ds = PydicomDataset()
    ds.PatientID = "X1"
    ds.QueryRetrieveLevel = "STUDY"
    return pyd_encode(ds, True, True)


def _primitive(cls, **values):
    p = cls()
    for name, value in values.items():
        setattr(p, name, value)
    return p


# (pynetdicom message class, primitive, our equivalent message)
CASES = [
    (pm.C_ECHO_RQ, lambda: _primitive(pp.C_ECHO, MessageID=7,
                                      AffectedSOPClassUID="1.2.840.10008.1.1"),
     ms.CEchoRQ(message_id=7)),
    (pm.C_ECHO_RSP, lambda: _primitive(pp.C_ECHO, MessageIDBeingRespondedTo=7, Status=0,
                                       AffectedSOPClassUID="1.2.840.10008.1.1"),
     ms.CEchoRSP(message_id_being_responded_to=7, affected_sop_class_uid="1.2.840.10008.1.1")),
    (pm.C_STORE_RQ, lambda: _primitive(pp.C_STORE, MessageID=5, AffectedSOPClassUID=CT,
                                       AffectedSOPInstanceUID="1.2.3", Priority=2,
                                       MoveOriginatorApplicationEntityTitle="ORIG",
                                       MoveOriginatorMessageID=9,
                                       DataSet=io.BytesIO(_identifier())),
     ms.CStoreRQ(message_id=5, affected_sop_class_uid=CT, affected_sop_instance_uid="1.2.3",
                 priority=2, move_originator_ae_title="ORIG", move_originator_message_id=9,
                 dataset=_identifier())),
    (pm.C_STORE_RSP, lambda: _primitive(pp.C_STORE, MessageIDBeingRespondedTo=5, Status=0xB000,
                                        AffectedSOPClassUID=CT, AffectedSOPInstanceUID="1.2.3"),
     ms.CStoreRSP(message_id_being_responded_to=5, status=0xB000, affected_sop_class_uid=CT,
                  affected_sop_instance_uid="1.2.3")),
    (pm.C_FIND_RQ, lambda: _primitive(pp.C_FIND, MessageID=2, AffectedSOPClassUID=FIND,
                                      Priority=0, Identifier=io.BytesIO(_identifier())),
     ms.CFindRQ(message_id=2, affected_sop_class_uid=FIND, dataset=_identifier())),
    (pm.C_MOVE_RSP, lambda: _primitive(pp.C_MOVE, MessageIDBeingRespondedTo=2, Status=0xFF00,
                                       AffectedSOPClassUID=FIND,
                                       NumberOfRemainingSuboperations=3,
                                       NumberOfCompletedSuboperations=1,
                                       NumberOfFailedSuboperations=0,
                                       NumberOfWarningSuboperations=0),
     ms.CMoveRSP(message_id_being_responded_to=2, status=0xFF00, affected_sop_class_uid=FIND,
                 number_of_remaining_suboperations=3, number_of_completed_suboperations=1,
                 number_of_failed_suboperations=0, number_of_warning_suboperations=0)),
    (pm.C_CANCEL_RQ, lambda: _primitive(pp.C_CANCEL, MessageIDBeingRespondedTo=2),
     ms.CCancelRQ(message_id_being_responded_to=2)),
    (pm.N_ACTION_RQ, lambda: _primitive(pp.N_ACTION, MessageID=4, RequestedSOPClassUID="1.2.840.10008.1.20.1",
                                        RequestedSOPInstanceUID="1.2.840.10008.1.20.1.1",
                                        ActionTypeID=1, ActionInformation=io.BytesIO(_identifier())),
     ms.NActionRQ(message_id=4, requested_sop_class_uid="1.2.840.10008.1.20.1",
                  requested_sop_instance_uid="1.2.840.10008.1.20.1.1", action_type_id=1,
                  dataset=_identifier())),
    (pm.N_GET_RQ, lambda: _primitive(pp.N_GET, MessageID=6, RequestedSOPClassUID="1.2.3",
                                     RequestedSOPInstanceUID="1.2.3.4",
                                     AttributeIdentifierList=[0x00100010, 0x00100020]),
     ms.NGetRQ(message_id=6, requested_sop_class_uid="1.2.3", requested_sop_instance_uid="1.2.3.4",
               attribute_identifier_list=[0x00100010, 0x00100020])),
]
IDS = [c[0].__name__ for c in CASES]


def _pynetdicom_message(cls, make):
    msg = cls()
    msg.primitive_to_message(make())
    return msg


@pytest.mark.parametrize("cls, make, ours", CASES, ids=IDS)
def test_same_command_set_bytes(cls, make, ours):
    theirs = pyd_encode(_pynetdicom_message(cls, make).command_set, True, True)
    assert ms.encode_command(ours) == theirs
    decoded = dc.decode_command(theirs)
    assert decoded.title == ours.title and decoded.has_dataset == (ours.dataset is not None)


@pytest.mark.parametrize("max_pdu", [0, 16, 50, 51, 128, 16384])
@pytest.mark.parametrize("cls, make, ours", CASES, ids=IDS)
def test_we_reassemble_pynetdicom_fragments(cls, make, ours, max_pdu):
    r = fr.Reassembler()
    events = []
    for pdata in _pynetdicom_message(cls, make).encode_msg(1, max_pdu):
        events += r.feed([PDV(ctx, pdv[0], pdv[1:]) for ctx, pdv in pdata.presentation_data_value_list])
    (event,) = events
    assert event.message == ours


@pytest.mark.parametrize("max_pdu", [0, 16, 50, 51, 128, 16384])
@pytest.mark.parametrize("cls, make, ours", CASES, ids=IDS)
def test_pynetdicom_reassembles_our_fragments(cls, make, ours, max_pdu):
    theirs = pm.DIMSEMessage()
    done = False
    for request in fr.fragment_message(1, ms.encode_command(ours), ms.dataset_chunks(ours.dataset),
                                       max_pdu):
        pdata = P_DATA()
        pdata.presentation_data_value_list = [[p.context_id, bytes([p.control]) + bytes(p.data)]
                                              for p in request.pdvs]
        done = theirs.decode_msg(pdata)
    assert done
    expected = _pynetdicom_message(cls, make)
    assert type(theirs) is type(expected)
    assert theirs.command_set == expected.command_set
    if ours.dataset is not None:
        assert theirs.data_set.getvalue() == ours.dataset
