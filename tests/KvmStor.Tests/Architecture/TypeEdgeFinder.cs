using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace KvmStor.Tests.Architecture;

/// <summary>One use of a type by another: both named by full name (outermost declaring type, namespace included).</summary>
public readonly record struct TypeEdge(string From, string To)
{
    public override string ToString() => $"{From} → {To}";
}

/// <summary>
/// Reads a compiled assembly and lists every type each of its types uses: base type, interfaces, generic
/// constraints, fields, method and property signatures, attributes, locals, and every token in method bodies
/// (calls, field accesses, casts, typeof). Inside one assembly a call is a MethodDef token and a field access a
/// FieldDef token, never a TypeRef, so the IL is decoded operand by operand. A nested type (closures, state
/// machines, lambdas) counts as its outermost declaring type, where its source lives.
/// </summary>
public static class TypeEdgeFinder
{
    public static IReadOnlySet<TypeEdge> Find(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var edges = new HashSet<TypeEdge>();
        var names = new NameProvider(reader);
        foreach (var handle in reader.TypeDefinitions)
        {
            var from = names.OfDefinition(handle);
            var uses = new HashSet<string>();
            new TypeUseCollector(reader, pe, names, uses).Collect(reader.GetTypeDefinition(handle));
            foreach (var to in uses)
                if (to != from && to.Length > 0) edges.Add(new TypeEdge(from, to));
        }
        return edges;
    }

    /// <summary>Every top-level type the assembly defines (by the same names the edges use).</summary>
    public static IReadOnlySet<string> DefinedTypes(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new NameProvider(reader);
        return reader.TypeDefinitions.Select(names.OfDefinition).ToHashSet();
    }

    /// <summary>Full names of definitions and references, nested types folded into their outermost type.</summary>
    sealed class NameProvider(MetadataReader reader)
    {
        public string OfDefinition(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            while (type.IsNested) type = reader.GetTypeDefinition(type.GetDeclaringType());
            return Join(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        public string OfReference(TypeReferenceHandle handle)
        {
            var type = reader.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
                type = reader.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            return Join(reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        static string Join(string ns, string name)
        {
            // Generic arity ("List`1") is not part of the name a reader looks for.
            var tick = name.IndexOf('`');
            if (tick >= 0) name = name[..tick];
            return ns.Length == 0 ? name : ns + "." + name;
        }
    }

    /// <summary>Decodes signatures into the named types they mention (primitives and generic parameters mention none).</summary>
    sealed class SignatureNames(NameProvider names) : ISignatureTypeProvider<ImmutableArray<string>, object?>
    {
        static readonly ImmutableArray<string> None = ImmutableArray<string>.Empty;
        public ImmutableArray<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public ImmutableArray<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [names.OfDefinition(handle)];
        public ImmutableArray<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [names.OfReference(handle)];
        public ImmutableArray<string> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public ImmutableArray<string> GetSZArrayType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetArrayType(ImmutableArray<string> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<string> GetByReferenceType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPointerType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetPinnedType(ImmutableArray<string> elementType) => elementType;
        public ImmutableArray<string> GetGenericInstantiation(ImmutableArray<string> genericType, ImmutableArray<ImmutableArray<string>> typeArguments) =>
            typeArguments.Aggregate(genericType, (all, argument) => all.AddRange(argument));
        public ImmutableArray<string> GetGenericMethodParameter(object? context, int index) => None;
        public ImmutableArray<string> GetGenericTypeParameter(object? context, int index) => None;
        public ImmutableArray<string> GetModifiedType(ImmutableArray<string> modifier, ImmutableArray<string> unmodifiedType, bool isRequired) => unmodifiedType;
        public ImmutableArray<string> GetFunctionPointerType(MethodSignature<ImmutableArray<string>> signature) => Flatten(signature);

        public static ImmutableArray<string> Flatten(MethodSignature<ImmutableArray<string>> signature) =>
            signature.ParameterTypes.Aggregate(signature.ReturnType, (all, parameter) => all.AddRange(parameter));
    }

    sealed class TypeUseCollector(MetadataReader reader, PEReader pe, NameProvider names, HashSet<string> uses)
    {
        readonly SignatureNames signatures = new(names);

        public void Collect(TypeDefinition type)
        {
            AddType(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) AddType(reader.GetInterfaceImplementation(i).Interface);
            AddGenericParameters(type.GetGenericParameters());
            AddAttributes(type.GetCustomAttributes());
            foreach (var f in type.GetFields())
            {
                var field = reader.GetFieldDefinition(f);
                uses.UnionWith(field.DecodeSignature(signatures, null));
                AddAttributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var property = reader.GetPropertyDefinition(p);
                uses.UnionWith(SignatureNames.Flatten(property.DecodeSignature(signatures, null)));
                AddAttributes(property.GetCustomAttributes());
            }
            foreach (var e in type.GetEvents()) AddType(reader.GetEventDefinition(e).Type);
            foreach (var m in type.GetMethods()) CollectMethod(reader.GetMethodDefinition(m));
            // Nested types (closures, iterators, async state machines, lambdas) belong to their outermost type.
            foreach (var nested in type.GetNestedTypes()) Collect(reader.GetTypeDefinition(nested));
        }

        void CollectMethod(MethodDefinition method)
        {
            uses.UnionWith(SignatureNames.Flatten(method.DecodeSignature(signatures, null)));
            AddGenericParameters(method.GetGenericParameters());
            AddAttributes(method.GetCustomAttributes());
            foreach (var p in method.GetParameters()) AddAttributes(reader.GetParameter(p).GetCustomAttributes());
            if (method.RelativeVirtualAddress == 0) return;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
                uses.UnionWith(reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(signatures, null).SelectMany(l => l));
            foreach (var region in body.ExceptionRegions)
                if (!region.CatchType.IsNil) AddType(region.CatchType);
            foreach (var token in IlTokens(body.GetILReader())) AddToken(token);
        }

        void AddGenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var g in parameters)
                foreach (var c in reader.GetGenericParameter(g).GetConstraints())
                    AddType(reader.GetGenericParameterConstraint(c).Type);
        }

        void AddAttributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) AddToken(reader.GetCustomAttribute(a).Constructor);
        }

        void AddType(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition: uses.Add(names.OfDefinition((TypeDefinitionHandle)handle)); break;
                case HandleKind.TypeReference: uses.Add(names.OfReference((TypeReferenceHandle)handle)); break;
                case HandleKind.TypeSpecification:
                    uses.UnionWith(reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(signatures, null));
                    break;
            }
        }

        /// <summary>A token in IL or an attribute: a type, or a member (its declaring type and its signature's types).</summary>
        void AddToken(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                case HandleKind.TypeSpecification:
                    AddType(handle);
                    break;
                case HandleKind.MethodDefinition:
                {
                    var method = reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                    AddType(method.GetDeclaringType());
                    uses.UnionWith(SignatureNames.Flatten(method.DecodeSignature(signatures, null)));
                    break;
                }
                case HandleKind.FieldDefinition:
                {
                    var field = reader.GetFieldDefinition((FieldDefinitionHandle)handle);
                    AddType(field.GetDeclaringType());
                    uses.UnionWith(field.DecodeSignature(signatures, null));
                    break;
                }
                case HandleKind.MemberReference:
                {
                    var member = reader.GetMemberReference((MemberReferenceHandle)handle);
                    AddToken(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                        uses.UnionWith(SignatureNames.Flatten(member.DecodeMethodSignature(signatures, null)));
                    else
                        uses.UnionWith(member.DecodeFieldSignature(signatures, null));
                    break;
                }
                case HandleKind.MethodSpecification:
                {
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    AddToken(spec.Method);
                    uses.UnionWith(spec.DecodeSignature(signatures, null).SelectMany(a => a));
                    break;
                }
                case HandleKind.StandaloneSignature:
                {
                    var signature = reader.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (signature.GetKind() == StandaloneSignatureKind.Method)
                        uses.UnionWith(SignatureNames.Flatten(signature.DecodeMethodSignature(signatures, null)));
                    break;
                }
            }
        }
    }

    /// <summary>The metadata tokens among a method body's operands (strings and branch targets skipped).</summary>
    internal static IEnumerable<EntityHandle> IlTokens(BlobReader il)
    {
        var tokens = new List<EntityHandle>();
        while (il.RemainingBytes > 0)
        {
            int code = il.ReadByte();
            var opcode = code == 0xFE ? TwoByte[il.ReadByte()] : OneByte[code];
            switch (opcode.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineBrTarget:
                case OperandType.InlineI:
                case OperandType.ShortInlineR:
                case OperandType.InlineString:
                    il.Offset += 4;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    // Read the count first: "il.Offset += 4 * il.ReadInt32()" would lose the count's own 4 bytes.
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                case OperandType.InlineSig:
                    tokens.Add(MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                default:
                    throw new InvalidOperationException($"unknown operand type {opcode.OperandType} of {opcode.Name}");
            }
        }
        return tokens;
    }

    static readonly OpCode[] OneByte = new OpCode[256];
    static readonly OpCode[] TwoByte = new OpCode[256];

    static TypeEdgeFinder()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var opcode = (OpCode)field.GetValue(null)!;
            var value = (ushort)opcode.Value;
            if (opcode.Size == 1) OneByte[value] = opcode;
            else TwoByte[value & 0xFF] = opcode;
        }
    }
}
